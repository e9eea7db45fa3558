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
