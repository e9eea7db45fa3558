"""Load test: officers, leaders and reviewers on the console over PostgreSQL, loopback only,
bounded in users and seconds. One command starts everything and stops everything:

    .venv/bin/python benchmarks/load_test.py --pg --scale province --users 200 --seconds 120 \\
        --reuse /tmp/gs-province          # built there on the first run (minutes), copied after

What it does, in order:
1. A throwaway PostgreSQL cluster (scripts/pg.sh) in a temporary directory. With ``--reuse DIR``
   holding a saved cluster and data directory from an earlier run, a copy of those is started
   (seconds); otherwise it migrates and builds ``greensword demo --scale …`` (minutes) and, with
   ``--reuse``, saves the result there. The saved copy is never written to.
2. ``greensword serve`` with its default workers (one per core, or ``--workers``) on a free
   loopback port, the HJ 212 gateway on another.
3. ``--users`` virtual users (asyncio tasks, httpx, one connection each) sign in spread over
   ``--ramp`` seconds (sign-in latency reported on its own: argon2 is slow on purpose), then each
   runs its role's mix with exponential think time (``--think`` mean) until the end of the timed
   window (``--seconds`` after the ramp):
   - county officers (≈85 %, one account per county, many counties): home, case list and case
     pages, lead list and lead page, field-task list and the on-site record page, monitoring
     list and a point's page, statistics; audited writes: saving the on-site record of an open
     task, handling an open lead (confirm / close), a case step on an open case (register and end
     a 监测 period that does not count toward the deadline);
   - city and province leaders (≈10 %): dashboard, statistics, evaluation, inspection statistics,
     case list and pages, leads, monitoring;
   - reviewers (≈5 %): review rounds, case list and pages, statistics.
4. Prints per request kind and overall: requests, req/s, p50/p95/p99, errors by kind (5xx,
   timeouts, dropped connections) and 4xx answers (e.g. 409 when two officers handle the same
   lead at once), the load average before and after; then checks the writes against the database
   (audit entries per action since the start must equal the writes the users saw succeed) and
   verifies the audit hash chain.
5. Stops the server and the cluster and removes the temporary directory — also on Ctrl-C, SIGTERM
   or an error (``--keep`` leaves the directory for inspection).

locust is not installed in the project's environment; this runner does the same job.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG = ROOT / "scripts" / "pg.sh"
PASSWORD = "greensword-demo"
PRE_DECISION = ("filed", "investigating", "reviewing", "reviewed", "notified", "hearing", "heard", "legal_reviewed",
                "discussed")
LIMITS = {"users": 1000, "seconds": 600, "ramp": 300}

# (kind, weight); kinds starting with "w:" are audited writes
MIX = {
    "officer": [("home", 1), ("cases", 3), ("case page", 3), ("leads", 1), ("lead page", 1), ("tasks", 2),
                ("task page", 3), ("monitoring", 1), ("point page", 1), ("statistics", 1),
                ("w:save record", 2), ("w:handle lead", 0.5), ("w:case step", 1)],
    "leader": [("dashboard", 4), ("statistics", 3), ("evaluation", 2), ("inspection stats", 1), ("cases", 2),
               ("case page", 2), ("leads", 1), ("monitoring", 1)],
    "reviewer": [("review", 2), ("cases", 2), ("case page", 3), ("statistics", 1)],
}
FIXED = {"home": "/", "cases": "/cases", "leads": "/offsite/leads", "tasks": "/inspection/tasks",
         "monitoring": "/monitoring", "statistics": "/statistics", "dashboard": "/dashboard",
         "evaluation": "/evaluation", "inspection stats": "/inspection/stats", "review": "/review"}
#: the audit action each write leaves, for the check against the database
WRITE_ACTIONS = {"w:save record": ("inspection.record.save",), "w:handle lead": ("offsite.lead.confirm",
                                                                                  "offsite.lead.close"),
                 "w:case step": ("cases.pause", "cases.end_pause")}
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEMS = re.compile(r'name="item-([^"]+)" value="ok"')


class Stop(Exception):
    """SIGTERM: unwind like Ctrl-C so everything started is stopped."""


def _sigterm(_signum, _frame):
    raise Stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return math.nan
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(p / 100 * len(xs)) - 1))]


# ---------------------------------------------------------------- results

@dataclass
class Stats:
    window: tuple[float, float] = (0.0, 0.0)          # timed window (monotonic), set by drive()
    samples: list[tuple[str, float, float]] = field(default_factory=list)     # kind, at, ms
    db_samples: list = field(default_factory=list)
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    client: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    writes_ok: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, t0: float, status: int | None, note: str = "") -> None:
        at = time.monotonic()
        self.samples.append((kind, at, (time.perf_counter() - t0) * 1000))
        if status is None or status >= 500:
            what = note if status is None else str(status)
            self.errors[kind][what] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{kind}: {what}")
        elif status >= 400:
            self.client[kind][str(status)] += 1


async def fetch(c: httpx.AsyncClient, stats: Stats, kind: str, method: str, url: str, *,
                ok=(200,), **kw) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        r = await c.request(method, url, **kw)
    except httpx.TimeoutException:
        stats.add(kind, t0, None, "timeout")
        return None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        stats.add(kind, t0, None, "dropped connection")
        return None
    except httpx.HTTPError as exc:
        stats.add(kind, t0, None, type(exc).__name__)
        return None
    stats.add(kind, t0, r.status_code if r.status_code not in ok else 200)
    return r


# ---------------------------------------------------------------- the users

@dataclass
class Targets:
    """What one user works on, read from the database before the run (what the lists would show
    them): open tasks, open leads and open cases of their jurisdiction, points, cases to read."""
    cases: list[int]
    open_cases: list[int]
    tasks: list[int]
    leads: list[int]
    points: list[int]


class User:
    def __init__(self, base: str, username: str, role: str, targets: Targets, rng: random.Random, stats: Stats,
                 think: float) -> None:
        self.base, self.username, self.role, self.t, self.rng = base, username, role, targets, rng
        self.stats, self.think, self.csrf = stats, think, ""
        self.paused: set[int] = set()

    async def sign_in(self, c: httpx.AsyncClient) -> bool:
        r = await fetch(c, self.stats, "sign-in page", "GET", "/login")
        if r is None or r.status_code != 200 or not (m := FORM_CSRF.search(r.text)):
            return False
        r = await fetch(c, self.stats, "sign-in", "POST", "/login", ok=(303,),
                        data={"username": self.username, "password": PASSWORD, "csrf_token": m.group(1)})
        if r is None or r.status_code != 303:
            return False
        r = await fetch(c, self.stats, "home", "GET", "/")
        if r is None or not (m := META_CSRF.search(r.text)):
            return False
        self.csrf = m.group(1)
        return True

    def _post(self, c, kind, url, data, json_answer=False):
        headers = {"x-csrf-token": self.csrf}
        if json_answer:
            headers["accept"] = "application/json"
        return fetch(c, self.stats, kind, "POST", url, data=data, headers=headers, ok=(200, 303))

    async def step(self, c: httpx.AsyncClient, kind: str) -> None:
        t, rng = self.t, self.rng
        if kind in FIXED:
            await fetch(c, self.stats, kind, "GET", FIXED[kind])
        elif kind == "case page" and t.cases:
            await fetch(c, self.stats, kind, "GET", f"/cases/{rng.choice(t.cases)}")
        elif kind == "lead page" and t.leads:
            await fetch(c, self.stats, kind, "GET", f"/offsite/leads/{rng.choice(t.leads)}")
        elif kind == "task page" and t.tasks:
            await fetch(c, self.stats, kind, "GET", f"/inspection/tasks/{rng.choice(t.tasks)}")
        elif kind == "point page" and t.points:
            await fetch(c, self.stats, kind, "GET", f"/monitoring/points/{rng.choice(t.points)}")
        elif kind == "w:save record" and t.tasks:
            await self.save_record(c, rng.choice(t.tasks))
        elif kind == "w:handle lead" and t.leads:
            await self.handle_lead(c, rng.choice(t.leads))
        elif kind == "w:case step" and t.open_cases:
            await self.case_step(c, rng.choice(t.open_cases))

    async def save_record(self, c, task_id: int) -> None:
        """Open the on-site record page, tick every item and save (as the page's script does)."""
        page = await fetch(c, self.stats, "task page", "GET", f"/inspection/tasks/{task_id}")
        if page is None or page.status_code != 200:
            return
        items = ITEMS.findall(page.text)
        if not items or 'id="record-form"' not in page.text:
            self.t.tasks.remove(task_id)                      # submitted meanwhile: nothing to edit
            return
        data = {f"item-{code}": self.rng.choice(("ok", "ok", "ok", "problem", "na")) for code in items}
        data.update(findings=f"现场检查：{self.username} 核对台账与治理设施运行情况（{time.strftime('%H:%M:%S')}）",
                    location="厂区污水处理站", violation="0")
        r = await self._post(c, "w:save record", f"/inspection/tasks/{task_id}/record", data, json_answer=True)
        if r is not None and r.status_code == 200:
            self.stats.writes_ok["w:save record"] += 1

    async def handle_lead(self, c, lead_id: int) -> None:
        page = await fetch(c, self.stats, "lead page", "GET", f"/offsite/leads/{lead_id}")
        if page is None or page.status_code != 200:
            return
        acts = set(re.findall(rf'action="/offsite/leads/{lead_id}/act/(\w+)"', page.text))
        action = "confirm" if "confirm" in acts else "close" if "close" in acts else None
        if action is None:
            self.t.leads.remove(lead_id)                      # closed (by us or a colleague)
            return
        reason = "经核查为设备故障，已督促修复" if action == "close" else "数据异常属实，需进一步核实"
        r = await self._post(c, "w:handle lead", f"/offsite/leads/{lead_id}/act/{action}", {"reason": reason})
        if r is not None and r.status_code == 303:
            self.stats.writes_ok["w:handle lead"] += 1

    async def case_step(self, c, case_id: int) -> None:
        """Register a 监测 period that does not count toward the case's deadline, or end it."""
        page = await fetch(c, self.stats, "case page", "GET", f"/cases/{case_id}")
        if page is None or page.status_code != 200:
            return
        action = "end_pause" if case_id in self.paused else "pause"
        data = {"kind": "monitoring"}
        if action == "pause":
            data["document"] = f"监测委托书（{self.username}）"
        r = await self._post(c, "w:case step", f"/cases/{case_id}/act/{action}", data)
        if r is None:
            return
        if r.status_code == 303:
            self.stats.writes_ok["w:case step"] += 1
            self.paused ^= {case_id}
        elif r.status_code in (409, 422):                     # a colleague moved it first: follow the case
            self.paused ^= {case_id}

    async def run(self, start_at: float, deadline: float, mix) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as c:
            if not await self.sign_in(c):
                return
            kinds, weights = [k for k, _ in mix], [w for _, w in mix]
            while True:
                pause = self.rng.expovariate(1 / self.think) if self.think > 0 else 0.0
                if time.monotonic() + pause >= deadline:
                    break
                await asyncio.sleep(pause)
                await self.step(c, self.rng.choices(kinds, weights)[0])


# ---------------------------------------------------------------- who, and on what

def plan(url: str, n: int, seed: int) -> list[tuple[str, str, Targets]]:
    """(username, role, targets) for ``n`` users: county officers spread over every county (the
    counties with open work first), some city/province leaders, a few reviewers."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as db:
        agencies = {r.id: r for r in db.execute(text("SELECT id, division_code, level, path FROM agency"))}
        cases = db.execute(text("SELECT c.id, c.stage, c.summary, a.path FROM penalty_case c "
                                "JOIN agency a ON a.id = c.agency_id ORDER BY c.id")).all()
        tasks = db.execute(text("SELECT t.id, a.path FROM inspection_task t JOIN agency a ON a.id = t.agency_id "
                                "WHERE t.status = 'open' ORDER BY t.id")).all()
        leads = db.execute(text("SELECT l.id, l.status, a.path FROM offsite_lead l JOIN agency a ON a.id = l.agency_id"
                                " ORDER BY l.id")).all()
        points = db.execute(text("SELECT p.id, a.path FROM monitoring_point p JOIN enterprise e ON e.id = "
                                 "p.enterprise_id JOIN agency a ON a.id = e.agency_id ORDER BY p.id")).all()
        users = {r.username for r in db.execute(text("SELECT username FROM user_account WHERE active"))}
    eng.dispose()
    rng = random.Random(seed)

    def under(rows, path, k=None):
        out = [r.id for r in rows if r.path.startswith(path)]
        return rng.sample(out, k) if k is not None and len(out) > k else out

    def targets(path: str) -> Targets:
        return Targets(cases=under(cases, path, 60),
                       open_cases=[r.id for r in cases if r.path.startswith(path) and r.stage in PRE_DECISION
                                   and not r.summary],
                       tasks=under(tasks, path, 30),
                       leads=[r.id for r in leads if r.path.startswith(path) and r.status != "closed"] or
                       under(leads, path, 10),
                       points=under(points, path, 20))

    counties = [a for a in agencies.values() if a.level == "county" and f"officer-{a.division_code}" in users]
    busy = {a.id: sum(1 for r in cases if r.path == a.path and r.stage in PRE_DECISION) +
            sum(1 for r in leads if r.path == a.path and r.status != "closed") for a in counties}
    counties.sort(key=lambda a: (-busy[a.id], a.division_code))
    cities = [a for a in agencies.values() if a.level == "city" and f"leader-{a.division_code}" in users]
    province = next(a for a in agencies.values() if a.level == "province")
    reviewers = [a for a in counties + cities if f"reviewer-{a.division_code}" in users]
    n_rev = max(1, n // 20) if n >= 10 else 0
    n_lead = max(1, n // 10)
    out = []
    for i in range(n - n_rev - n_lead):
        a = counties[i % len(counties)]
        out.append((f"officer-{a.division_code}", "officer", targets(a.path)))
    for i in range(n_lead):
        a = province if i % 4 == 0 or not cities else cities[i % len(cities)]
        out.append(("leader" if a is province else f"leader-{a.division_code}", "leader", targets(a.path)))
    for i in range(n_rev):
        a = reviewers[(i * 7) % len(reviewers)]
        out.append((f"reviewer-{a.division_code}", "reviewer", targets(a.path)))
    rng.shuffle(out)
    return out


def audit_counts(url: str, after_seq: int) -> tuple[int, Counter]:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as db:
        head = db.execute(text("SELECT coalesce(max(seq), 0) FROM audit_entry")).scalar_one()
        rows = db.execute(text("SELECT action, count(*) FROM audit_entry WHERE seq > :s GROUP BY action"),
                          {"s": after_seq}).all()
    eng.dispose()
    return head, Counter({a: n for a, n in rows})


SAMPLE_SQL = """
SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
       count(*) FILTER (WHERE wait_event_type = 'Lock'),
       count(*) FILTER (WHERE wait_event_type = 'Lock' AND query ILIKE '%audit_head%'), count(*)
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"""
SAMPLE_NAMES = ("running queries", "idle in transaction", "waiting for a lock", "of them on the audit head",
                "connections")


def sample_db(url: str, stop: threading.Event, out: list) -> None:
    """Every 2 s: what the server's database sessions are doing (lock waits show serialization)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url, pool_size=1)
    try:
        with eng.connect() as db:
            while not stop.wait(2.0):
                out.append((time.monotonic(), tuple(db.execute(text(SAMPLE_SQL)).one())))
                db.rollback()
    except Exception as exc:  # noqa: BLE001 - sampling is a side show; the run goes on
        print(f"  (database sampling stopped: {exc})")
    finally:
        eng.dispose()


async def drive(base: str, users, seconds: float, ramp: float, think: float, seed: int, stats: Stats) -> None:
    rng = random.Random(seed)
    t0 = time.monotonic() + 0.5
    window = (t0 + ramp, t0 + ramp + seconds)
    stats.window = window
    tasks = []
    for i, (name, role, targets) in enumerate(users):
        u = User(base, name, role, targets, random.Random(rng.random()), stats, think)
        start = t0 + (ramp * i / len(users) if ramp > 0 else 0)
        tasks.append(asyncio.create_task(u.run(start, window[1], MIX[role])))
    ticker = asyncio.create_task(_progress(stats, window))
    try:
        await asyncio.gather(*tasks)
    finally:
        ticker.cancel()
        for t in tasks:
            t.cancel()


async def _progress(stats: Stats, window) -> None:
    while True:
        await asyncio.sleep(15)
        now = time.monotonic()
        phase = "ramp" if now < window[0] else "timed"
        errs = sum(sum(c.values()) for c in stats.errors.values())
        print(f"  … {phase}: {len(stats.samples)} requests, {errs} errors, load {loadavg()}", flush=True)


# ---------------------------------------------------------------- the report

def report(stats: Stats, seconds: float) -> None:
    lo, hi = stats.window
    signin = [ms for k, at, ms in stats.samples if k == "sign-in"]
    timed = defaultdict(list)
    ramp_n = 0
    for k, at, ms in stats.samples:
        if k.startswith("sign-in"):
            continue
        if lo <= at <= hi:
            timed[k].append(ms)
        else:
            ramp_n += 1
    print(f"\nsign-in (POST /login, argon2): n {len(signin)}, p50 {pct(signin, 50):.0f} ms, "
          f"p95 {pct(signin, 95):.0f} ms, p99 {pct(signin, 99):.0f} ms, max {max(signin, default=math.nan):.0f} ms, "
          f"errors {dict(stats.errors.get('sign-in', {})) or 0}, 4xx {dict(stats.client.get('sign-in', {})) or 0}")
    print(f"\ntimed window {seconds:.0f} s after the ramp ({ramp_n} requests during the ramp not counted here)")
    head = f"{'request':18} {'n':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  errors / 4xx"
    print(head + "\n" + "-" * len(head))

    def line(name, xs, errs: Counter, client: Counter):
        e = ", ".join(f"{k} ×{v}" for k, v in errs.most_common()) or "0"
        c = ", ".join(f"{k} ×{v}" for k, v in client.most_common())
        print(f"{name:18} {len(xs):6} {len(xs) / seconds:6.1f} {pct(xs, 50):7.0f} {pct(xs, 95):7.0f} "
              f"{pct(xs, 99):7.0f}  {e}{' / ' + c if c else ''}")

    every, all_e, all_c = [], Counter(), Counter()
    for k in sorted(timed, key=lambda k: (k.startswith("w:"), -len(timed[k]))):
        line(k, timed[k], stats.errors.get(k, Counter()), stats.client.get(k, Counter()))
        every += timed[k]
        all_e.update(stats.errors.get(k, Counter()))
        all_c.update(stats.client.get(k, Counter()))
    print("-" * len(head))
    line("all", every, all_e, all_c)
    print("(errors and 4xx are counted over the whole run, ramp included)")
    timed_db = [v for at, v in stats.db_samples if lo <= at <= hi]
    if timed_db:
        print("database sessions in the timed window (sampled every 2 s), mean / max: " + "; ".join(
            f"{name} {sum(v[i] for v in timed_db) / len(timed_db):.1f} / {max(v[i] for v in timed_db)}"
            for i, name in enumerate(SAMPLE_NAMES)))
    for s in stats.examples:
        print("  error:", s)


# ---------------------------------------------------------------- setup and teardown

def sh(cmd, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def pg(cmd: str, d: Path, extra: str = "") -> str:
    env = {**os.environ, "PG_EXTRA_OPTS": extra}
    return sh([str(PG), cmd, str(d)], env=env, capture_output=True, text=True).stdout.strip()


def main() -> None:  # noqa: PLR0915 - one linear script: start, run, report, stop
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (the default and only backend; kept for clarity)")
    ap.add_argument("--scale", default="province", help="demo scale when the database is built (default province)")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=120, help="timed window after the ramp")
    ap.add_argument("--ramp", type=float, default=None, help="seconds over which users sign in (default users/4, ≤ 60)")
    ap.add_argument("--think", type=float, default=3.0, help="mean seconds between a user's requests")
    ap.add_argument("--workers", type=int, default=0, help="server workers (default: serve's own, one per core)")
    ap.add_argument("--reuse", type=Path, help="directory with a saved demo cluster; built and saved there if empty")
    ap.add_argument("--database-url", default="", help="an existing database instead (not reset, not stopped)")
    ap.add_argument("--read-only", action="store_true", help="leave the writes out of the mix (to compare)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, cluster copy)")
    args = ap.parse_args()
    ramp = args.ramp if args.ramp is not None else min(60.0, args.users / 4)
    for k, lim in LIMITS.items():
        if not 0 <= (v := getattr(args, k) if k != "ramp" else ramp) <= lim:
            raise SystemExit(f"bounded: --{k} must be within 0…{lim} (got {v})")
    if args.users < 1:
        raise SystemExit("--users must be at least 1")
    signal.signal(signal.SIGTERM, _sigterm)
    if args.read_only:
        for role in MIX:
            MIX[role] = [(k, w) for k, w in MIX[role] if not k.startswith("w:")]

    tmp = Path(tempfile.mkdtemp(prefix="gs-load-"))
    tmp.chmod(0o755)                                   # the postgres user runs the cluster in it
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GREENSWORD_DATA_DIR": str(tmp / "var")}
    env.pop("GREENSWORD_DEMO_FEED", None)
    cli = [sys.executable, "-m", "greensword.cli"]
    pg_dir, server, started = None, None, time.monotonic()
    workers = args.workers or (os.cpu_count() or 1)
    # each worker's pool may open pool + overflow connections; leave room for the checks
    extra = f"-c max_connections={max(100, workers * 45 + 20)}"
    try:
        print(f"load average at start {loadavg()}; {os.cpu_count()} cores; temporary directory {tmp}", flush=True)
        url = args.database_url
        if not url:
            pg_dir = tmp / "pg"
            saved = args.reuse
            if saved is not None and (saved / "pg" / "data" / "PG_VERSION").exists():
                t = time.perf_counter()
                shutil.copytree(saved / "pg" / "data", pg_dir / "data", symlinks=True)
                shutil.copytree(saved / "var", tmp / "var", symlinks=True)
                url = pg("resume", pg_dir, extra)
                print(f"saved demo copied from {saved} and started in {time.perf_counter() - t:.1f} s: {url}")
            else:
                url = pg("start", pg_dir, extra)
                env["GREENSWORD_DATABASE_URL"] = url
                print(f"throwaway PostgreSQL: {url}; building the demo ({args.scale}) — minutes", flush=True)
                sh([*cli, "db", "upgrade"], env)
                t = time.perf_counter()
                sh([*cli, "demo", "--scale", args.scale], env)
                print(f"demo ({args.scale}) built in {time.perf_counter() - t:.1f} s", flush=True)
                if saved is not None:
                    pg("stop", pg_dir)
                    saved.mkdir(parents=True, exist_ok=True)
                    shutil.copytree(pg_dir / "data", saved / "pg" / "data", symlinks=True)
                    shutil.copytree(tmp / "var", saved / "var", symlinks=True)
                    url = pg("resume", pg_dir, extra)
                    print(f"saved in {saved} for the next run (--reuse {saved})")
        env["GREENSWORD_DATABASE_URL"] = url
        sh([*cli, "db", "upgrade"], env, stdout=subprocess.DEVNULL)   # a saved copy from an older checkout
        users = plan(url, args.users, args.seed)
        start_seq, _ = audit_counts(url, 1 << 62)
        roles = Counter(r for _, r, _ in users)
        print(f"users: {dict(roles)} over {len({u for u, _, _ in users})} accounts; open work they can reach: "
              f"{sum(1 for _, r, t in users if r == 'officer' and t.tasks)} officers with open tasks, "
              f"{sum(1 for _, r, t in users if r == 'officer' and t.open_cases)} with open cases, "
              f"{sum(1 for _, r, t in users if r == 'officer' and t.leads)} with leads")

        port = free_port()
        senv = {**env, "GREENSWORD_GATEWAY_PORT": str(free_port())}
        if args.workers:
            senv["GREENSWORD_WORKERS"] = str(args.workers)
        log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed with the server below
        server = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)], env=senv, cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            if server.poll() is not None:
                raise SystemExit(f"the server stopped (exit {server.returncode}); see {tmp / 'server.log'}")
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("the server did not answer within 120 s")
        print(f"\n{args.users} users, ramp {ramp:.0f} s, then {args.seconds:.0f} s timed, think {args.think} s; "
              f"server {workers} workers on {base}; load average before {loadavg()}", flush=True)
        stats = Stats()
        halt = threading.Event()
        sampler = threading.Thread(target=sample_db, args=(url, halt, stats.db_samples), daemon=True)
        sampler.start()
        try:
            asyncio.run(drive(base, users, args.seconds, ramp, args.think, args.seed, stats))
        finally:
            halt.set()
            sampler.join(10)
        after = loadavg()
        report(stats, args.seconds)
        print(f"\nload average after {after}")

        _, actions = audit_counts(url, start_seq)
        print("\nwrites checked against the database (audit entries since the start):")
        for kind, acts in WRITE_ACTIONS.items():
            got = sum(actions[a] for a in acts)
            seen = stats.writes_ok[kind]
            print(f"  {kind[2:]:12} users saw {seen:5} succeed; audit entries {got:5} "
                  f"({', '.join(f'{a} {actions[a]}' for a in acts)}) {'OK' if got == seen else 'MISMATCH'}")
        print(f"  sign-ins     audit token.issue.session {actions['token.issue.session']}")
        r = subprocess.run([*cli, "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True)
        print("  audit chain:", (r.stdout or r.stderr).strip().splitlines()[-1] if (r.stdout or r.stderr) else r.returncode)
        lines = (tmp / "server.log").read_text(errors="replace").splitlines()
        tracebacks = [i for i, ln in enumerate(lines) if ln.startswith("Traceback")]
        print(f"  server log: {len(tracebacks)} tracebacks, {sum(' 500 ' in ln for ln in lines)} answers 500")
        if tracebacks:                                  # the first one, the rest are usually alike
            end = next((j for j in range(tracebacks[0] + 1, len(lines)) if lines[j] and not lines[j][0].isspace()
                        and not lines[j].startswith(("Traceback", "During", "The above"))), len(lines) - 1)
            print("\n".join("    " + ln for ln in lines[tracebacks[0]:end + 1][-25:]))
    except (KeyboardInterrupt, Stop):
        print("\ninterrupted: stopping the server and the cluster", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)          # a second Ctrl-C must not cut the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
        if pg_dir is not None:
            subprocess.run([str(PG), "stop", str(pg_dir)], check=False)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"stopped everything after {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
