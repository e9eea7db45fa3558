"""Lake reads reuse one DuckDB connection per thread (opening one costs ≈ 70 ms)."""

import threading

from greensword.core import duck


def test_one_connection_per_thread_reused():
    a, b = duck.connection(), duck.connection()
    assert a is b
    assert a.execute("select current_setting('threads')").fetchone()[0] == 1
    other = []
    t = threading.Thread(target=lambda: other.append(duck.connection()))
    t.start()
    t.join()
    assert other[0] is not a
