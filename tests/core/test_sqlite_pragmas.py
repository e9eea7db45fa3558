"""SQLite connections read the database through memory-mapped I/O as configured
(GREENSWORD_SQLITE_MMAP_MB), and not at all when it is 0."""

from greensword.core.db import make_engine
from greensword.settings import get_settings


def _mmap(tmp_path, name: str) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA mmap_size").scalar()
    finally:
        engine.dispose()


def test_sqlite_connections_use_the_configured_mmap_size(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENSWORD_SQLITE_MMAP_MB", "64")
    get_settings.cache_clear()
    try:
        assert _mmap(tmp_path, "a.db") == 64 * 1024 * 1024
        monkeypatch.setenv("GREENSWORD_SQLITE_MMAP_MB", "0")
        get_settings.cache_clear()
        assert _mmap(tmp_path, "b.db") == 0
    finally:
        monkeypatch.delenv("GREENSWORD_SQLITE_MMAP_MB")
        get_settings.cache_clear()
