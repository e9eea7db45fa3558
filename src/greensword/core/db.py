"""Database glue: the declarative Base (with a constraint naming convention so Alembic diffs
cleanly on SQLite and PostgreSQL), engines, sessions and column types shared by every domain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ..settings import get_settings
from .timeutil import TZ

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TZDateTime(TypeDecorator):
    """Timezone-aware datetime stored as UTC; read back as Asia/Shanghai on every backend
    (SQLite keeps no offset, so a plain DateTime(timezone=True) would come back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=TZ)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(TZ)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    mmap_mb = get_settings().sqlite_mmap_mb
    if mmap_mb > 0:
        cur.execute(f"PRAGMA mmap_size={int(mmap_mb) * 1024 * 1024}")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        s = get_settings()
        pool = {} if path in ("", ":memory:") else {"pool_size": s.db_pool_size, "max_overflow": s.db_max_overflow}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    s = get_settings()
    return create_engine(url, pool_pre_ping=True, pool_size=s.db_pool_size, max_overflow=s.db_max_overflow)


@lru_cache
def _default_engine(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _default_engine(get_settings().sqlalchemy_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back everything on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def load_all_models() -> None:
    """Import every domain's models so Base.metadata knows all tables (Alembic, tests)."""
    import importlib
    import importlib.util

    from .. import DOMAINS

    importlib.import_module("greensword.core.models")
    for domain in DOMAINS:
        name = f"greensword.{domain}.models"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
