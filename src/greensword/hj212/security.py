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
    """In-memory state of one gateway process (the single-process gateway); the workers of a
    multi-process gateway share theirs through ``SharedGuard``."""

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

    def sync(self) -> None:
        """Exchange state with the other worker processes (SharedGuard); nothing to do here."""

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


class SharedGuard(Guard):
    """The same policy, with its state in a small SQLite file shared by every gateway worker
    process of one host: a ban by one worker holds in all, and the per-address connection cap
    counts the connections of all workers.

    The per-frame checks and a new connection cost no write to the file: each worker publishes
    its open-connection counts and reads the bans and the other workers' counts at most every
    ``refresh_s`` (0.5 s; a worker's own bans and connections count at once). So in a burst of
    new connections from one address the cap can be passed by what the other workers admitted
    in the last ``refresh_s``. Each worker keeps its own rows (``worker``) and clears them when it
    starts, so a killed worker's connections stop counting when it is restarted."""

    def __init__(self, path, worker: str, policy: SecurityRules | None = None, clock=time.time,
                 refresh_s: float = 0.5):
        super().__init__(policy, clock)
        import sqlite3

        self.worker, self.refresh_s = worker, refresh_s
        self.db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")       # bans are not worth an fsync each
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS conns (worker TEXT, host TEXT, n INTEGER, PRIMARY KEY (worker, host));
            CREATE TABLE IF NOT EXISTS fails (kind TEXT, key TEXT, t REAL);
            CREATE INDEX IF NOT EXISTS fails_key ON fails (kind, key, t);
            CREATE TABLE IF NOT EXISTS bans (kind TEXT, key TEXT, until REAL, PRIMARY KEY (kind, key));
        """)
        self.db.execute("DELETE FROM conns WHERE worker = ?", (worker,))
        self._bans: dict[tuple[str, str], float] = {}
        self._others: dict[str, int] = {}         # host → open connections of the other workers
        self._dirty: set[str] = set()             # hosts whose own count changed since published
        self._loaded = -1e18

    def sync(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        now = self.clock()
        if now - self._loaded < self.refresh_s:
            return
        db = self.db
        if self._dirty:
            db.execute("BEGIN IMMEDIATE")
            try:
                for host in self._dirty:
                    n = self.open.get(host, 0)
                    if n > 0:
                        db.execute("INSERT OR REPLACE INTO conns VALUES (?, ?, ?)", (self.worker, host, n))
                    else:
                        db.execute("DELETE FROM conns WHERE worker = ? AND host = ?", (self.worker, host))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            self._dirty.clear()
        self._bans = {(k, key): until for k, key, until in
                      db.execute("SELECT kind, key, until FROM bans WHERE until > ?", (now,))}
        self._others = dict(db.execute("SELECT host, SUM(n) FROM conns WHERE worker != ? GROUP BY host",
                                       (self.worker,)))
        self._loaded = now

    def address_banned(self, host: str) -> bool:
        self._refresh()
        return self._bans.get(("address", host), 0.0) > self.clock()

    def mn_banned(self, mn: str) -> bool:
        self._refresh()
        return self._bans.get(("mn", mn), 0.0) > self.clock()

    def connect(self, host: str) -> bool:
        if self.address_banned(host):
            self.counters["refused.banned_address"] += 1
            return False
        if self.open[host] + self._others.get(host, 0) >= self.policy.max_connections_per_address:
            self.counters["refused.address_cap"] += 1
            return False
        self.open[host] += 1
        self._dirty.add(host)
        if self.refresh_s <= 0:
            self._refresh()
        return True

    def disconnect(self, host: str) -> None:
        super().disconnect(host)
        self._dirty.add(host)
        if self.refresh_s <= 0:
            self._refresh()

    def failure(self, host: str, mn: str | None, kind: str) -> None:
        self.counters[f"auth.{kind}"] += 1
        now = self.clock()
        self._hit_shared("address", host, self.policy.auth_failures.per_address, now)
        if mn:
            self._hit_shared("mn", mn, self.policy.auth_failures.per_mn, now)

    def _hit_shared(self, what: str, key: str, t: Throttle, now: float) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM fails WHERE kind = ? AND key = ? AND t < ?", (what, key, now - t.window_s))
            db.execute("INSERT INTO fails VALUES (?, ?, ?)", (what, key, now))
            n = db.execute("SELECT COUNT(*) FROM fails WHERE kind = ? AND key = ?", (what, key)).fetchone()[0]
            until = db.execute("SELECT until FROM bans WHERE kind = ? AND key = ?", (what, key)).fetchone()
            banned = False
            if n >= t.max_failures and (until is None or until[0] <= now):
                db.execute("INSERT OR REPLACE INTO bans VALUES (?, ?, ?)", (what, key, now + t.ban_s))
                db.execute("DELETE FROM fails WHERE kind = ? AND key = ?", (what, key))
                banned = True
            if now - self._loaded > 60:          # now and then: forget what has expired
                db.execute("DELETE FROM bans WHERE until <= ?", (now,))
                db.execute("DELETE FROM fails WHERE t < ?", (now - 86400,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if banned:
            self._bans[(what, key)] = now + t.ban_s
            self.counters[f"ban.{what}"] += 1
