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
