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


def test_a_query_running_at_interpreter_exit_does_not_abort_the_process(tmp_path):
    """A daemon thread inside a DuckDB query while Python finalizes used to abort the process with
    exit code 134 ("terminate called after throwing an instance of ''", the end of
    benchmarks/page_times.py); the query is now interrupted and waited for at exit."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "exit_during_query.py"
    script.write_text(
        "import threading, time\n"
        "from greensword.core import duck\n"
        "started = threading.Event()\n"
        "def work():\n"
        "    started.set()\n"
        "    try:\n"
        "        duck.fetchall('select sum(range) from range(3000000000)')\n"
        "    except Exception:\n"
        "        pass\n"
        "threading.Thread(target=work, daemon=True).start()\n"
        "started.wait(); time.sleep(0.3)\n"
        "print('exiting')\n")
    src = str(Path(duck.__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert "exiting" in done.stdout and "terminate called" not in done.stderr
