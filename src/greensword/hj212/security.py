"""Device-connection security at the gateway: throttling of wrong passwords per MN and per
source address with a ban window, and per-address connection caps. Policy values come from
``rules/hj212/security.yaml`` (each with its reason).

Unknown MN and wrong PW look the same from outside (same QnRtn, same timing path); inside they
are counted separately (``auth.unknown_mn`` / ``auth.bad_pw``) so an operator can tell a
misconfigured logger from an MN scan.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from functools import lru_cache

from pydantic import BaseModel

from ..core.rules import Source, load


class Throttle(BaseModel):
    max_failures: int
    window_s: float
    ban_s: float


class AuthFailures(BaseModel):
    per_mn: Throttle
    per_address: Throttle


class SecurityRules(BaseModel):
    source: Source
    password_length: int = 12
    auth_failures: AuthFailures
    max_connections_per_address: int
    idle_timeout_s: float


@lru_cache(maxsize=1)
def rules() -> SecurityRules:
    return load("hj212/security.yaml", SecurityRules)


class _Window:
    """Failures of one key in a sliding window, and the ban they led to."""

    __slots__ = ("times", "banned_until")

    def __init__(self) -> None:
        self.times: deque[float] = deque()
        self.banned_until = 0.0


class Guard:
    """In-memory per-process state (each gateway process guards its own connections; the
    limits are per process, which a multi-process deployment should keep in mind)."""

    def __init__(self, policy: SecurityRules | None = None, clock=time.monotonic):
        self.policy = policy or rules()
        self.clock = clock
        self._mn: dict[str, _Window] = {}
        self._addr: dict[str, _Window] = {}
        self.open: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()

    # -- connections ------------------------------------------------------------------------
    def connect(self, host: str) -> bool:
        """Admit a new connection from ``host`` (False: refuse — banned or over the cap)."""
        if self.address_banned(host):
            self.counters["refused.banned_address"] += 1
            return False
        if self.open[host] >= self.policy.max_connections_per_address:
            self.counters["refused.address_cap"] += 1
            return False
        self.open[host] += 1
        return True

    def disconnect(self, host: str) -> None:
        self.open[host] -= 1
        if self.open[host] <= 0:
            del self.open[host]

    # -- authentication ---------------------------------------------------------------------
    def _banned(self, table: dict[str, _Window], key: str) -> bool:
        w = table.get(key)
        return bool(w and w.banned_until > self.clock())

    def address_banned(self, host: str) -> bool:
        return self._banned(self._addr, host)

    def mn_banned(self, mn: str) -> bool:
        return self._banned(self._mn, mn)

    def failure(self, host: str, mn: str | None, kind: str) -> None:
        """Record a failed authentication (``kind``: unknown_mn | bad_pw)."""
        self.counters[f"auth.{kind}"] += 1
        now = self.clock()
        self._hit(self._addr, host, self.policy.auth_failures.per_address, now, "address")
        if mn:
            self._hit(self._mn, mn, self.policy.auth_failures.per_mn, now, "mn")

    def _hit(self, table: dict[str, _Window], key: str, t: Throttle, now: float, what: str) -> None:
        w = table.get(key)
        if w is None:
            if len(table) > 100_000:           # bounded memory under a spray of random MNs
                self._prune(table, now)
            w = table[key] = _Window()
        w.times.append(now)
        while w.times and w.times[0] < now - t.window_s:
            w.times.popleft()
        if len(w.times) >= t.max_failures and w.banned_until <= now:
            w.banned_until = now + t.ban_s
            w.times.clear()
            self.counters[f"ban.{what}"] += 1

    @staticmethod
    def _prune(table: dict[str, _Window], now: float) -> None:
        for key in [k for k, w in table.items() if w.banned_until <= now]:
            del table[key]
