"""The garbage collector in a long-running server process.

A worker holds ≈300,000 long-lived objects once every domain is imported (modules, routes,
models, validators). CPython's full collection walks all of them: on this 2-core machine one
took 366 ms in the middle of an ordinary request (``/cases``, 222 ms without it), which is where
most pages' occasional slow answers came from. ``settle()`` — called when the app starts serving —
collects once and then freezes what is alive (``gc.freeze``): those objects are never scanned
again, so a later full collection walks only what requests created since.

Once per process: frozen objects are never collected, so freezing again later (a test run starts
an app per test) would keep every earlier app's cyclic garbage alive for good.
"""

from __future__ import annotations

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
        _done = True
        return True
