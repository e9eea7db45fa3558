"""In-memory DuckDB connections for reading the monitoring lake, one per thread and reused.

Opening a DuckDB connection costs ≈ 70 ms (a database instance, its catalogue and thread pool),
far more than the small queries pages run on it: the monitoring point page opened three per
request. A connection must not be used by two threads at once, so each thread (the web server's
request threads are long-lived) keeps its own. One DuckDB thread each: the server already runs
many requests at once, and every connection fanning out to all cores only made them fight.
"""

from __future__ import annotations

import threading

import duckdb

_local = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    """This thread's connection (nothing is kept in it between uses but its settings)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": 1})
        _local.con = con
    return con
