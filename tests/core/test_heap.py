"""Start-up objects leave the collector's generations once per process, never again (objects
frozen later could never be collected)."""

import gc
import os
import subprocess
import sys
from pathlib import Path

from greensword.core import heap

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_settle_freezes_once(monkeypatch):
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(heap.atexit, "register", lambda f: None)
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    assert heap.settle() is True and calls == [1]
    assert heap.settle() is False and calls == [1]


EXIT_SCRIPT = """
import atexit, gc
atexit.register(lambda: print("frozen at exit", gc.get_freeze_count()))   # runs after heap's own hook
from greensword.core import heap
heap.settle()
print("frozen", gc.get_freeze_count() > 1000)
"""


def test_frozen_objects_are_collected_before_the_interpreter_tears_down():
    """Left frozen, objects holding DuckDB's native state were destroyed only in the interpreter's
    final teardown, and benchmarks/page_times.py (which reads the monitoring lake) aborted with
    exit code 134 after all its output."""
    r = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], env={**os.environ, "PYTHONPATH": SRC},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["frozen", "True", "frozen", "at", "exit", "0"]
