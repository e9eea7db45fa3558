"""Per-client rate limits of the public service: a sliding one-minute window counted in the
database (``core.ratelimit``), so every worker process and host shares it. Over the limit: 429
with Retry-After; nothing else is affected."""

from __future__ import annotations

from fastapi import Request

from ..core import ratelimit
from ..core.errors import DomainError
from .rules import rules

WINDOW_S = 60.0


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
    wait = ratelimit.hit(request.app.state.engine, f"disclosure.{bucket}", _client(request), limit=limit,
                         window_s=WINDOW_S)
    if wait:
        raise RateLimited(wait)


def requests_limit(request: Request) -> None:
    check(request, "requests")


def downloads_limit(request: Request) -> None:
    check(request, "requests")
    check(request, "downloads")
