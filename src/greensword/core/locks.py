"""Row locks for state changes on shared records (a case, a lead, a complaint, a task …).

A state change reads the record, checks that its state allows the step, then writes. Two requests
doing that at once (two officers clicking 中止 on the same case) would both pass the check and both
apply. Every such change therefore first takes the record's lock with :func:`lock_row` (or
:func:`relock` for a row already loaded) and reads the state *after* it: the second request waits
for the first to commit, then sees the new state and gets the ordinary zh-CN 409 a sequential
repeat gets — nothing half-applied, one audit entry for the one transition.

Why pessimistic locks and not optimistic versioning (``version_id_col``): the checks the services
already make stay the one place a refusal is decided (the loser gets the same message as a user
who clicks twice, not a generic "modified by someone else"), steps that are legal twice in a row
(two payments, two pieces of evidence) both go through instead of one being refused, counters
updated from a fresh read (``paid_yuan += amount``) lose nothing, steps that only add child rows
are covered as well as those that update the record, and no migration adds a column to a dozen
tables. The lock is held only until the request's commit, which follows the step at once.

How, per backend:

* PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` (SQLAlchemy ``with_for_update(key_share=True)``):
  it excludes every other locker of the row, but not the ``FOR KEY SHARE`` lock an INSERT of a
  row referencing it takes (a case's event, a task of the agency), so locking a parent never
  blocks — or deadlocks with — transactions that only add children to it. Under READ COMMITTED the
  waiting request reads the committed row once the lock is granted, and every later statement of
  its transaction sees the winner's child rows too.
* SQLite has no row locks (``FOR UPDATE`` is dropped from the SQL) and only one writer at a
  time. The Python driver (legacy transaction control) runs reads outside any transaction and
  opens one with a deferred ``BEGIN`` before the first INSERT/UPDATE/DELETE, so a read-check-
  write has no transaction around the read. :func:`lock_row` therefore opens the transaction with
  ``BEGIN IMMEDIATE`` when none is open: it waits (``busy_timeout``) for the database's write lock
  and then reads a snapshot no one else can commit past until this transaction ends. When a
  transaction is already open it has already written (that is the only way the driver opens
  one), so it holds the write lock already. A deferred transaction that read and then tried to
  write would instead fail with SQLITE_BUSY_SNAPSHOT in WAL mode whenever another writer
  committed in between — which is why the lock is taken before the read, not at the write.

Lock order: a transaction takes its row locks before its first audited write. That write's flush
locks the audit chain's head (core.audit) until the commit, and a transaction that held the head
while waiting for a row locked by another one that is itself waiting for the head would deadlock.
A step that locks several rows locks the aggregate first (a case, then its measure; a review round,
then its file; an oversight unit, then its finding).

The row is read with ``populate_existing``: the session may hold it as loaded before the lock
(a permission check), and the state check must see what the lock protects.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from .errors import Conflict

R = TypeVar("R")


def write_lock(session: Session) -> None:
    """Make sure the session's transaction may write without losing a race: on SQLite, open it
    with ``BEGIN IMMEDIATE`` (wait for the database's write lock) unless it is already writing;
    on PostgreSQL nothing (row locks are taken per row by :func:`lock_row`)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.driver_connection
    if not raw.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def exclusive(session: Session) -> Iterator[None]:
    """Run a batch job (the demo build) holding SQLite's write lock from its first statement:
    every row it loads is then current, and :func:`lock_row` takes rows from the session instead
    of reading each again. Elsewhere (PostgreSQL, a transaction already open) it changes nothing."""
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        session.info["locks_exclusive"] = session.get_transaction()
    try:
        yield
    finally:
        session.info.pop("locks_exclusive", None)


def lock_row(session: Session, model: type[R], ident: Any) -> R | None:
    """The row of ``model`` with primary key ``ident``, locked until the transaction ends and read
    after the lock was granted (None when there is no such row). A row this transaction already
    locked is not read again: nobody else can have changed it since. The transaction keeps the
    rows it locked (the session holds its objects only while something refers to them): a
    service that locks a row and another that reads it later in the same step find it in the
    session instead of querying it again — a query that first flushes the step's pending writes."""
    tx = session.get_transaction()
    if tx is not None and session.info.get("locks_exclusive") is tx:
        row = session.get(model, ident)      # held the database's write lock since before any read
        if row is not None:
            _held(session, tx)[(model, ident)] = row
        return row
    write_lock(session)
    tx = session.get_transaction()
    held = _held(session, tx)
    if (model, ident) in held and (row := session.get(model, ident)) is not None:
        return row
    (pk,) = inspect(model).primary_key
    row = session.execute(select(model).where(pk == ident).with_for_update(key_share=True, of=model)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is not None:
        held[(model, ident)] = row
    return row


def _held(session: Session, tx) -> dict:
    """(model, primary key) → row of the rows ``tx`` locked (kept until it ends)."""
    held = session.info.get("locks_held")
    if held is None or held[0] is not tx:
        held = session.info["locks_held"] = (tx, {})
    return held[1]


def relock(session: Session, row: R) -> R:
    """Lock a row the session already holds and refresh it from the database (the same object)."""
    ident = inspect(row).identity
    locked = lock_row(session, type(row), ident[0])
    if locked is None:                       # deleted meanwhile: nothing to act on
        raise Conflict("该记录已被删除，请刷新页面", code="record.deleted")
    return locked


#: PostgreSQL SQLSTATEs of a lock that could not be had: deadlock_detected, serialization_failure,
#: lock_not_available
_CONTENDED = {"40P01", "40001", "55P03"}


def contended(exc: BaseException) -> bool:
    """Whether ``exc`` is a database error from waiting for a lock held too long (SQLite "database
    is locked" after busy_timeout, a PostgreSQL deadlock or lock timeout): nothing was applied and
    the same request may succeed a moment later — a 503 to retry, not a server fault."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in _CONTENDED:
        return True
    return type(orig).__name__ == "OperationalError" and "database is locked" in str(orig)

