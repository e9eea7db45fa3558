"""Per-client rate limits of the public service (a sliding one-minute window in memory, per
process). Over the limit: 429 with Retry-After; nothing else is affected."""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from ..core.errors import DomainError
from .rules import rules


class Limiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, client: str, limit: int, now: float | None = None) -> float:
        """Record a request; returns 0 when allowed, else the seconds until one is."""
        t = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.setdefault((bucket, client), deque())
            while q and q[0] <= t - 60:
                q.popleft()
            if len(q) >= limit:
                return max(0.1, q[0] + 60 - t)
            q.append(t)
            if len(self._hits) > 50_000:          # forget idle clients
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= t - 60][:10_000]:
                    self._hits.pop(k, None)
            return 0.0

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


LIMITER = Limiter()


class RateLimited(DomainError):
    status = 429
    code = "disclosure.rate_limited"

    def __init__(self, retry_after: float):
        super().__init__(f"请求过于频繁，请约 {int(retry_after) + 1} 秒后再试", details={"retry_after": int(retry_after) + 1})
        self.retry_after = retry_after


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check(request: Request, bucket: str = "requests") -> None:
    lim = rules().limits
    limit = lim.downloads_per_minute if bucket == "downloads" else lim.requests_per_minute
    wait = LIMITER.hit(bucket, _client(request), limit)
    if wait:
        raise RateLimited(wait)


def requests_limit(request: Request) -> None:
    check(request, "requests")


def downloads_limit(request: Request) -> None:
    check(request, "requests")
    check(request, "downloads")
