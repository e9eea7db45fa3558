"""Figures that are expensive to compute (statistics, evaluation, dashboard aggregates) kept
between requests, never served stale after an audited write.

Every write through a service appends to the audit chain in the same transaction (core.audit),
and a data-changing entry also moves the data head (``DataHead``: sequence and hash of the last
such entry) — one row in the database, shared by every worker process and host — so it changes
whenever any recorded figure may have changed. Sign-ins, sign-outs, token events and logged reads
are in the chain too but leave the data head alone: a busy morning of logins does not throw the
cached figures away. A cached value is stored with the data head's sequence and hash at the time
it was computed and used only while that head is still there; a value is also dropped after
``ttl_s`` (a backstop for data that does not pass through the chain). Each
worker keeps its own copies (bounded, least recently used dropped first); the check against the
shared head is what keeps workers consistent.

A transaction that has written (its own audit entries or pending changes) neither reads nor
stores cached values: it must see its own writes, and what it computed may yet be rolled back.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import DataHead

T = TypeVar("T")

MAX_ENTRIES = 512
DEFAULT_TTL_S = 300.0

_store: OrderedDict[tuple, tuple[tuple[int, str], float, object]] = OrderedDict()
_lock = threading.Lock()
stats = {"hits": 0, "misses": 0, "bypass": 0}


def generation(session: Session) -> tuple[int, str]:
    """The data head as the database has it now: sequence and hash of the last data-changing
    audit entry (the hash covers the entry's time and content, so another database — or this one
    emptied and refilled — never shows the same generation with other data)."""
    session.connection()                     # begin the transaction, so it can be told apart
    tx = session.get_transaction()
    memo = session.info.get("cache_generation")
    if memo is not None and memo[0] is tx:
        return memo[1]                       # read once per transaction (a request asks many times)
    row = session.execute(select(DataHead.seq, DataHead.entry_hash).where(DataHead.id == 1)).first()
    gen = (row[0], row[1]) if row else (0, "")
    session.info["cache_generation"] = (tx, gen)
    return gen


def _writing(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted
                or session.info.get("data_head_tx") is not None
                and session.info.get("data_head_tx") is session.get_transaction())


def cached(session: Session, name: str, key: Hashable, compute: Callable[[], T], *, ttl_s: float = DEFAULT_TTL_S,
           fresh_copy: bool = True, copier: Callable[[T], T] = copy.deepcopy) -> T:
    """``compute()``'s value for (name, key) — e.g. ("statistics.compute", (start, end, …)) — from
    the cache when it was computed at the current data head within ``ttl_s``. The value must not
    hold database objects (they would outlive their session): plain data only. Each caller gets
    its own copy (``fresh_copy``; ``copier``, a deep copy unless the caller knows a cheaper one), so
    one request changing what it got cannot change another's."""
    if _writing(session):
        stats["bypass"] += 1
        return compute()
    gen = generation(session)
    k = (name, key)
    t = time.monotonic()
    with _lock:
        hit = _store.get(k)
        if hit is not None and hit[0] == gen and t - hit[1] < ttl_s:
            _store.move_to_end(k)
            stats["hits"] += 1
            value = hit[2]
            return copier(value) if fresh_copy else value  # type: ignore[return-value]
    stats["misses"] += 1
    value = compute()
    with _lock:
        _store[k] = (gen, t, value)
        _store.move_to_end(k)
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return copier(value) if fresh_copy else value


def clear() -> None:
    with _lock:
        _store.clear()
