"""Endpoints that use the database are plain ``def`` (run in the thread pool), never ``async def``.

An ``async def`` endpoint runs its database work on the worker's event loop. When that work waits
for a row lock (every audited write locks the audit chain's head) held by a request running in a
thread, and that request's commit needs the event loop to be scheduled, the worker stops for good:
under the load test every request of the worker timed out. Forms and bodies are read by the
``FormFields`` / ``RawBody`` dependencies on the loop instead.
"""

import inspect

from fastapi.routing import APIRoute

from greensword.webkit.deps import get_db


def _uses_db(dependant) -> bool:
    return any(d.call is get_db or _uses_db(d) for d in dependant.dependencies)


def _routes(routes):
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):                 # an included router
            yield from _routes(r.original_router.routes)


def test_no_async_endpoint_touches_the_database(app):
    offenders, checked = [], 0
    for route in _routes(app.routes):
        if isinstance(route, APIRoute) and _uses_db(route.dependant):
            checked += 1
            if inspect.iscoroutinefunction(route.endpoint):
                offenders.append(f"{sorted(route.methods)} {route.path} ({route.endpoint.__module__})")
    assert checked > 100
    assert not offenders, "async def endpoints with a database session:\n" + "\n".join(offenders)
