"""Sliding-window rate limits shared by every worker process and host.

Each allowed request is one row (``core.models.RateLimitHit``) that expires after the window; a
request is refused while ``limit`` rows of its key are unexpired. The count and the insert run in
a short transaction of their own (not the request's, which may roll back), serialised per key:
PostgreSQL takes a transaction-scoped advisory lock on the key, SQLite's single writer lock is
taken by the first statement (a DELETE of the key's expired hits), so two workers cannot both see
``limit - 1`` and both pass. Refused requests are not counted.

Callers keep their own boundary (which limit, per what client) and their own zh-CN message; this
module only answers "allowed, or how many seconds until it is".
"""

from __future__ import annotations

import time
import zlib

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from .models import RateLimitHit

#: Expired hits of clients that never come back are swept at most this often per process.
SWEEP_EVERY_S = 60.0
_last_sweep = 0.0


def hit(bind: Engine | Connection, name: str, client: str, *, limit: int, window_s: float,
        now: float | None = None) -> float:
    """Count one request of ``client`` against the limit ``name`` (at most ``limit`` requests in
    any ``window_s`` seconds). Returns 0 when allowed (and counted), else the seconds until the
    oldest counted request leaves the window."""
    global _last_sweep
    t = time.time() if now is None else now
    key = f"{name}:{client}"[:240]
    engine = bind.engine if isinstance(bind, Connection) else bind
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(key.encode())})
        # the first statement writes, so SQLite takes its writer lock before the count is read
        conn.execute(delete(RateLimitHit).where(RateLimitHit.key == key, RateLimitHit.expires <= t))
        n, oldest = conn.execute(select(func.count(), func.min(RateLimitHit.expires))
                                 .where(RateLimitHit.key == key)).one()
        if n >= limit:
            return max(0.1, float(oldest) - t)
        conn.execute(insert(RateLimitHit).values(key=key, expires=t + window_s))
        if abs(t - _last_sweep) > SWEEP_EVERY_S:
            _last_sweep = t
            conn.execute(delete(RateLimitHit).where(RateLimitHit.expires <= t))
    return 0.0


def reset(bind: Engine | Connection, name: str | None = None) -> None:
    """Forget counted hits (all, or those of one limit): an administrator lifting a limit, tests."""
    engine = bind.engine if isinstance(bind, Connection) else bind
    with engine.begin() as conn:
        stmt = delete(RateLimitHit)
        if name is not None:
            stmt = stmt.where(RateLimitHit.key.startswith(f"{name}:", autoescape=True))
        conn.execute(stmt)
