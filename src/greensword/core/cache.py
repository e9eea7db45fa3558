"""Figures that are expensive to compute (statistics, evaluation, dashboard aggregates) kept
between requests, not served from before an audited write — unless computing them is slow, and
then only marked as such (last paragraph).

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

Slow figures (a national statistics table or ranking takes seconds to compute): a caller that
passes ``refresh`` — the computation as a function of a session — allows the previous value to be
served after a write or the ttl when computing it last took at least ``cache_stale_after_s``
(setting, 0.5 s): the request gets the previous figures at once, marked with the time they were
computed (``stale_since``; the console shows it in a banner), and one background thread per
worker recomputes them, one after another, each on its own session (reading the figures it needs
fresh, never stale). A figure computed in a request from stale figures is served to that request
(marked) and kept as of the oldest of them — never as current — so the next request gets it at
once, marked, while it is recomputed. Figures that compute faster are never served stale.
"""

from __future__ import annotations

import copy
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import DataHead
from .timeutil import now

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_ENTRIES = 512
DEFAULT_TTL_S = 300.0

#: (name, key) → (data head, monotonic time, value, seconds the computation took, wall-clock time)
_store: OrderedDict[tuple, tuple[tuple[int, str], float, object, float, datetime]] = OrderedDict()
_lock = threading.Lock()
_refreshing: set[tuple] = set()
stats = {"hits": 0, "misses": 0, "bypass": 0, "stale": 0, "refreshed": 0}


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


def cached(session: Session, name: str, key: Hashable, compute: Callable[[], T] | None = None, *,
           ttl_s: float = DEFAULT_TTL_S, fresh_copy: bool = True, copier: Callable[[T], T] = copy.deepcopy,
           refresh: Callable[[Session], T] | None = None) -> T:
    """``compute()``'s value for (name, key) — e.g. ("statistics.compute", (start, end, …)) — from
    the cache when it was computed at the current data head within ``ttl_s``. The value must not
    hold database objects (they would outlive their session): plain data only. Each caller gets
    its own copy (``fresh_copy``; ``copier``, a deep copy unless the caller knows a cheaper one), so
    one request changing what it got cannot change another's. ``refresh(session)`` computes the
    value on a given session (``compute`` defaults to it on this one) and lets a slow figure be
    served from the previous data head while it is recomputed in the background (module doc)."""
    if compute is None:
        if refresh is None:
            raise TypeError("cached() needs compute or refresh")
        compute = lambda: refresh(session)  # noqa: E731
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
        # stale only for a slow figure of this or an earlier head of this database (never a higher
        # sequence), and never inside a background refresh (what it computes is stored as current)
        if hit is not None and refresh is not None and hit[0][0] <= gen[0] and hit[3] >= _stale_after_s() \
                and not session.info.get("cache_refreshing"):
            stats["stale"] += 1
            value = hit[2]
            tx = session.get_transaction()
            seen = session.info.get("stale_figures")
            if seen is None or seen[0] is not tx:
                session.info["stale_figures"] = seen = (tx, [])
            seen[1].append((hit[4], hit[0]))        # when computed, at which data head
            if k not in _refreshing:
                _refreshing.add(k)
                _queue.put((session.get_bind(), k, refresh))
                _start_refresher()
            return copier(value) if fresh_copy else value  # type: ignore[return-value]
    stats["misses"] += 1
    before = len(_stale_used(session))
    started = time.perf_counter()
    value = compute()
    cost = time.perf_counter() - started
    used = _stale_used(session)[before:]
    if not used:
        _put(k, gen, t, value, cost)
    else:
        # computed from figures served from before a write (a ranking from the statistics being
        # recomputed): right for this request, which is marked stale, but never kept as current —
        # kept as of the oldest figure it read, and as slow, so that the next request is served it
        # at once, marked stale, while the refresher recomputes it
        at, head = min(used, key=lambda u: u[1][0])
        _put(k, head, t, value, max(cost, _stale_after_s()), unless_newer=True, computed_at=at)
    return copier(value) if fresh_copy else value


def _stale_used(session: Session) -> list[tuple[datetime, tuple[int, str]]]:
    """(computed at, data head) of every figure served stale in this session's transaction."""
    seen = session.info.get("stale_figures")
    return seen[1] if seen is not None and seen[0] is session.get_transaction() else []


def prefetch(session: Session, name: str, jobs: dict[Hashable, Callable[[Session], object]]) -> int:
    """Compute, side by side, the figures a request is about to read through ``cached(session,
    name, key, refresh=…)`` — ``jobs``: key → refresh — that are neither current nor servable
    stale, each on a session of its own, and keep them; the request's own ``cached`` calls then
    find them. A statistics page reads this period, the same period last year and the period
    before: on the national data set each is a second of queries, and the database runs them on
    as many cores as there are. Nothing is done inside a writing transaction, for fewer than two
    figures, or on an in-memory SQLite database (its connections do not share it). Returns how many
    figures were computed."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    if _writing(session) or len(jobs) < 2 or engine.url.get_backend_name() == "sqlite" and (
            engine.url.database in (None, "", ":memory:")):
        return 0
    gen = generation(session)
    t = time.monotonic()
    stale_after = _stale_after_s()
    with _lock:
        todo = {}
        for key, refresh in jobs.items():
            hit = _store.get((name, key))
            current = hit is not None and hit[0] == gen and t - hit[1] < DEFAULT_TTL_S
            servable = hit is not None and hit[0][0] <= gen[0] and hit[3] >= stale_after \
                and not session.info.get("cache_refreshing")
            if not current and not servable:
                todo[key] = refresh
    if len(todo) < 2:
        return 0
    from concurrent.futures import ThreadPoolExecutor

    from .db import session_factory

    def run(key, refresh) -> bool:
        s = session_factory(engine)()
        s.info["cache_refreshing"] = True          # what it reads through cached() is current too
        try:
            if generation(s) != gen:               # written meanwhile: the request computes its own
                return False
            started = time.perf_counter()
            value = refresh(s)
            _put((name, key), gen, t, value, time.perf_counter() - started, unless_newer=True)
            return True
        except Exception:                          # the request computes it itself (and sees the error)
            log.exception("prefetching %s failed", name)
            return False
        finally:
            s.rollback()
            s.close()

    with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 2),
                            thread_name_prefix="cache-prefetch") as pool:
        done = list(pool.map(lambda kv: run(*kv), todo.items()))
    return sum(done)


def stale_since(session: Session) -> datetime | None:
    """When the oldest figure this session was served from a previous data head was computed
    (None: every figure it read is current)."""
    used = _stale_used(session)
    return min(at for at, _ in used) if used else None


def _put(k: tuple, gen: tuple[int, str], t: float, value, cost: float, *, unless_newer: bool = False,
         computed_at: datetime | None = None) -> None:
    with _lock:
        held = _store.get(k)
        if unless_newer and held is not None and held[0][0] > gen[0]:
            return                           # a background refresh finishing after a newer computation
        _store[k] = (gen, t, value, cost, computed_at or now())
        _store.move_to_end(k)
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)


#: figures waiting to be recomputed, one at a time by the worker's refresher thread: several
#: refreshes at once (a write outdates every figure) would only compete with the requests for the
#: interpreter and the cores
_queue: queue.SimpleQueue = queue.SimpleQueue()
_refresher: threading.Thread | None = None


def _start_refresher() -> None:
    global _refresher
    if _refresher is None or not _refresher.is_alive():
        _refresher = threading.Thread(target=_refresh_loop, daemon=True, name="cache-refresh")
        _refresher.start()


def _refresh_loop() -> None:
    while True:
        bind, k, refresh = _queue.get()
        _refresh(bind, k, refresh)


def _refresh(bind, k: tuple, refresh: Callable[[Session], object]) -> None:
    """Recompute one figure on a session of its own (a read-only transaction, rolled back); the
    figures it reads through ``cached`` are recomputed too rather than served stale."""
    from .db import session_factory

    session = session_factory(getattr(bind, "engine", bind))()
    session.info["cache_refreshing"] = True
    try:
        gen = generation(session)
        t = time.monotonic()
        started = time.perf_counter()
        value = refresh(session)
        _put(k, gen, t, value, time.perf_counter() - started, unless_newer=True)
        stats["refreshed"] += 1
    except Exception:                                  # the old value stays; the next request retries
        log.exception("background refresh of %s failed", k[0])
    finally:
        session.rollback()
        session.close()
        with _lock:
            _refreshing.discard(k)


def wait_refreshed(timeout_s: float = 30.0) -> bool:
    """Block until no background refresh is running (tests, benchmarks); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with _lock:
            if not _refreshing:
                return True
        time.sleep(0.01)
    return False


def _stale_after_s() -> float:
    from ..settings import get_settings

    return get_settings().cache_stale_after_s


def clear() -> None:
    with _lock:
        _store.clear()
