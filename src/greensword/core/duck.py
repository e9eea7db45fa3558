"""In-memory DuckDB connections for reading the monitoring lake, one per thread and reused.

Opening a DuckDB connection costs ≈ 70 ms (a database instance, its catalogue and thread pool),
far more than the small queries pages run on it: the monitoring point page opened three per
request. A connection must not be used by two threads at once, so each thread (the web server's
request threads are long-lived) keeps its own. One DuckDB thread each: the server already runs
many requests at once, and every connection fanning out to all cores only made them fight.

Queries go through :func:`fetchall`, which counts the ones running: a daemon thread (a background
figure refresh, a request thread of an in-process client) still inside a DuckDB query when the
interpreter finalizes is ended by Python in the middle of DuckDB's C++ code, and the process aborts
("terminate called after throwing an instance of ''", exit code 134; tests/core/test_duck.py). At
exit, :func:`_quiesce` refuses new queries, interrupts the running ones and waits for their threads
to leave DuckDB. (The same abort at the end of benchmarks/page_times.py had another cause: objects
frozen out of the collector at start-up — core.heap thaws them at exit.)
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import duckdb

_local = threading.local()
_open: weakref.WeakSet = weakref.WeakSet()      # every connection still alive, to interrupt at exit
_cond = threading.Condition()
_running = 0
_closing = False


def connection() -> duckdb.DuckDBPyConnection:
    """This thread's connection (nothing is kept in it between uses but its settings)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1})
        _local.con = con
        _open.add(con)
    return con


def fetchall(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """All rows of ``sql`` on this thread's connection."""
    global _running
    with _cond:
        if _closing:
            raise RuntimeError("进程正在退出，不再执行查询")
        _running += 1
    try:
        return connection().execute(sql, list(params)).fetchall()
    finally:
        with _cond:
            _running -= 1
            _cond.notify_all()


@atexit.register
def _quiesce(timeout_s: float = 10.0) -> bool:
    """No query left inside DuckDB when the interpreter finalizes (see the module doc); False when
    one was still running after ``timeout_s``."""
    global _closing
    with _cond:
        _closing = True
        if _running:
            for con in list(_open):
                try:
                    con.interrupt()
                except Exception:                  # noqa: BLE001 - a closed connection has nothing to stop
                    pass
        return _cond.wait_for(lambda: _running == 0, timeout_s)
