"""The garbage collector in a long-running server process.

A worker holds ≈300,000 long-lived objects once every domain is imported (modules, routes,
models, validators). CPython's full collection walks all of them: on this 2-core machine one
took 366 ms in the middle of an ordinary request (``/cases``, 222 ms without it), which is where
most pages' occasional slow answers came from. ``settle()`` — called when the app starts serving —
collects once and then freezes what is alive (``gc.freeze``): those objects are never scanned
again, so a later full collection walks only what requests created since.

At exit they are unfrozen and collected (``_thaw``). Once per process: frozen objects are never collected, so freezing again later (a test run starts
an app per test) would keep every earlier app's cyclic garbage alive for good.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_done = False
_lock = threading.Lock()


def settle() -> bool:
    """Collect, then move every object alive now out of the collector's generations — the first
    time it is called in this process (True then)."""
    global _done
    with _lock:
        if _done:
            return False
        gc.collect()
        gc.freeze()
        atexit.register(_thaw)
        _done = True
        return True


def _thaw() -> None:
    """Give frozen objects back to the collector before the interpreter tears its modules down.
    Left frozen, cycles that hold native resources (DuckDB's) were only destroyed during that
    teardown, after the libraries they need — a process that had read the monitoring lake then
    aborted at exit ("terminate called after throwing an instance of ''", exit code 134)."""
    gc.unfreeze()
    gc.collect()


#: the collector's thresholds in a :func:`stepwise` block: a young-generation pass every 20,000
#: allocations (not 700), older ones after 20 of the younger (not 10) — a build allocates millions
BATCH_THRESHOLDS = (20_000, 20, 20)


@contextmanager
def stepwise() -> Iterator[Callable[[], None]]:
    """For a batch job that keeps what it builds, step after step (the demo build: one session,
    one transaction over every stage): the collector runs less often in the block
    (``BATCH_THRESHOLDS``), and after each step (call the function it yields) what is alive is
    frozen, so a later full pass skips it instead of walking it again — a province build spent ≈6 s
    of its 60 in 25 full passes over everything it had built. At the block's end the thresholds
    are restored and the objects go back to the collector. In a process whose heap is already
    settled (the server's, ``settle``) it freezes nothing: unfreezing would give back what
    ``settle`` froze."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLDS)
    settled = bool(gc.get_freeze_count())
    try:
        yield (lambda: None) if settled else gc.freeze
    finally:
        gc.set_threshold(*thresholds)
        if not settled:
            gc.unfreeze()
