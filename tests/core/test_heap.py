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


STEPWISE_SCRIPT = """
import gc
from greensword.core import heap
before = gc.get_threshold()
keep = []
with heap.stepwise() as settle:
    inside = gc.get_threshold()
    keep.append([object() for _ in range(1000)])
    settle()
    frozen = gc.get_freeze_count()
print(inside == heap.BATCH_THRESHOLDS, frozen > 1000, gc.get_freeze_count(), gc.get_threshold() == before)
heap.settle()
settled = gc.get_freeze_count()
with heap.stepwise() as settle:
    settle()
print(gc.get_freeze_count() == settled > 0, gc.get_threshold() == before)
"""


def test_stepwise_freezes_each_step_and_gives_everything_back_at_its_end():
    """A batch job's steps freeze what is alive (later full passes skip it) with fewer passes in
    the block; its end restores the thresholds and unfreezes — except in a settled process, whose
    frozen start-up objects stay frozen."""
    r = subprocess.run([sys.executable, "-c", STEPWISE_SCRIPT], env={**os.environ, "PYTHONPATH": SRC},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "True", "0", "True", "True", "True"]
