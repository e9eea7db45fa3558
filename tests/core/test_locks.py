"""core.locks.exclusive: a batch job (the demo build) that holds SQLite's write lock from its first
statement takes locked rows from its session without reading them again — and really holds the
lock (no one else can write meanwhile). Outside it, lock_row reads the row under the lock."""

import sqlite3

import pytest
from sqlalchemy import event, select

from greensword.core import locks
from greensword.core.db import session_factory
from greensword.registry.models import Enterprise


def test_exclusive_holds_the_write_lock_and_skips_rereads(engine, world):
    path = engine.url.database
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    s = session_factory(engine)()
    try:
        with locks.exclusive(s):
            ent = s.execute(select(Enterprise).order_by(Enterprise.id)).scalars().first()
            event.listen(engine, "before_cursor_execute", seen)
            try:
                assert locks.lock_row(s, Enterprise, ent.id) is ent and statements == []
            finally:
                event.remove(engine, "before_cursor_execute", seen)
            other = sqlite3.connect(path, timeout=0.2)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("UPDATE enterprise SET name = name || '改' WHERE id = ?", (ent.id,))
            other.close()
        s.rollback()
        # outside the block: a new transaction, the row read again under the lock
        event.listen(engine, "before_cursor_execute", seen)
        try:
            assert locks.lock_row(s, Enterprise, ent.id).id == ent.id
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert any(st.lstrip().upper().startswith("SELECT") for st in statements)
    finally:
        s.rollback()
        s.close()


@pytest.mark.parametrize("exclusive", [False, True])
def test_a_locked_row_stays_in_the_session_until_the_transaction_ends(engine, world, exclusive):
    """A service that locks a row and drops it, then another that reads it in the same step, find
    it in the session (no query, and so no flush of the step's pending writes first); the next
    transaction reads it again."""
    import contextlib
    import gc

    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    s = session_factory(engine)()
    try:
        ent_id = s.execute(select(Enterprise.id).order_by(Enterprise.id)).scalars().first()
        s.rollback()
        with locks.exclusive(s) if exclusive else contextlib.nullcontext():
            assert locks.lock_row(s, Enterprise, ent_id).id == ent_id
            gc.collect()                         # nothing of the caller's refers to the row any more
            event.listen(engine, "before_cursor_execute", seen)
            try:
                assert s.get(Enterprise, ent_id).id == ent_id and statements == []
            finally:
                event.remove(engine, "before_cursor_execute", seen)
        s.rollback()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            assert locks.lock_row(s, Enterprise, ent_id).id == ent_id      # a new transaction: read again
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert any(st.lstrip().upper().startswith("SELECT") for st in statements)
    finally:
        s.rollback()
        s.close()
