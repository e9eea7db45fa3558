"""Start-up objects leave the collector's generations once per process, never again (objects
frozen later could never be collected)."""

import gc

from greensword.core import heap


def test_settle_freezes_once(monkeypatch):
    monkeypatch.setattr(heap, "_done", False)
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    assert heap.settle() is True and calls == [1]
    assert heap.settle() is False and calls == [1]
