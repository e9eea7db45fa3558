"""Load test: many concurrent officers and leaders on the console, loopback only, bounded in
users and seconds; prints p50/p95/p99 per request kind, throughput and errors.

    .venv/bin/python benchmarks/load_test.py --users 200 --seconds 90            # throwaway PostgreSQL
    .venv/bin/python benchmarks/load_test.py --database-url postgresql+psycopg://…  # an existing one
    GREENSWORD_DATA_DIR=var .venv/bin/python benchmarks/load_test.py --sqlite     # the SQLite demo

Without --database-url or --sqlite it starts a throwaway PostgreSQL cluster (scripts/pg.sh),
migrates it and generates the demo (--scale, default province), then serves the console with
``greensword serve`` (GREENSWORD_WORKERS workers, default one per core) on a free loopback port.
Virtual users are asyncio tasks (httpx) with their own sessions: 80 % county officers (case list and
pages, leads, monitoring, field tasks, registry; 1 in 10 of their requests saves a case's facts —
an audited write), 20 % city and province leaders (dashboard, statistics, evaluation, inspection
statistics, plans, cases). Each waits --think seconds (exponential, mean) between requests.
An error is a 5xx, a timeout or a dropped connection; 4xx answers are counted separately.
(locust is not installed in the project's environment; this runner does the same job.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "greensword-demo"
OFFICER_PAGES = [("cases", "/cases", 4), ("case page", "{case}", 4), ("leads", "/offsite/leads", 2),
                 ("monitoring", "/monitoring", 2), ("field tasks", "/inspection/tasks", 2),
                 ("enterprises", "/registry/enterprises", 1), ("home", "/", 1)]
LEADER_PAGES = [("dashboard", "/dashboard", 4), ("statistics", "/statistics", 2), ("evaluation", "/evaluation", 2),
                ("inspection stats", "/inspection/stats", 2), ("plans", "/inspection/plans", 1),
                ("cases", "/cases", 2), ("case page", "{case}", 1)]
WRITE_SHARE = 0.10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict) -> None:
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.client_errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, kind: str, ms: float, status: int | None, note: str = "") -> None:
        self.times[kind].append(ms)
        if status is None or status >= 500:
            self.errors[kind] += 1
            if len(self.samples) < 8:
                self.samples.append(f"{kind}: {status or note}")
        elif status >= 400:
            self.client_errors[kind] += 1


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


async def user(base: str, username: str, pages, window: dict, think: float, stats: Stats, rng: random.Random,
               write: bool, ready: asyncio.Event) -> None:
    from greensword.web import security

    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, follow_redirects=False) as c:
        try:
            await c.get("/login")
            token = security.csrf_token(c.cookies.get(security.CSRF_COOKIE), None)
            t = time.perf_counter()
            r = await c.post("/login", data={"username": username, "password": PASSWORD},
                             headers={security.CSRF_HEADER: token})
            stats.add("login", (time.perf_counter() - t) * 1000, r.status_code if r.status_code != 303 else 200)
            if r.status_code != 303:
                return
            token = security.csrf_token(c.cookies.get(security.CSRF_COOKIE), c.cookies.get(security.SESSION_COOKIE))
            r = await c.get("/cases")
            cases = list(dict.fromkeys(re.findall(r'href="(/cases/\d+)"', r.text)))[:60]
        except httpx.HTTPError as exc:
            stats.add("login", 0.0, None, type(exc).__name__)
            return
        finally:
            window["logged_in"] += 1
        await ready.wait()                                    # everyone signed in: the timed window
        deadline = window["deadline"]
        names = [p[0] for p in pages]
        weights = [p[2] for p in pages]
        urls = {p[0]: p[1] for p in pages}
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.expovariate(1 / think) if think > 0 else 0)
            if time.monotonic() >= deadline:
                break
            if write and cases and rng.random() < WRITE_SHARE:
                kind, case = "save case facts (write)", rng.choice(cases)
                t = time.perf_counter()
                try:
                    page = await c.get(case)
                    m = re.search(r'name="facts"[^>]*>([^<]*)<', page.text)
                    if m is None:                      # a closed case has no facts form: a read
                        stats.add("case page", (time.perf_counter() - t) * 1000, page.status_code)
                        cases.remove(case)
                        continue
                    r = await c.post(f"{case}/facts", data={"facts": m.group(1)},
                                     headers={security.CSRF_HEADER: token})
                    status = r.status_code if r.status_code not in (302, 303) else 200
                    stats.add(kind, (time.perf_counter() - t) * 1000, status)
                except httpx.HTTPError as exc:
                    stats.add(kind, (time.perf_counter() - t) * 1000, None, type(exc).__name__)
                continue
            kind = rng.choices(names, weights)[0]
            url = urls[kind]
            if url == "{case}":
                if not cases:
                    continue
                url = rng.choice(cases)
            t = time.perf_counter()
            try:
                r = await c.get(url)
                stats.add(kind, (time.perf_counter() - t) * 1000, r.status_code)
            except httpx.HTTPError as exc:
                stats.add(kind, (time.perf_counter() - t) * 1000, None, type(exc).__name__)


def accounts(env: dict) -> tuple[list[str], list[str]]:
    code = ("from sqlalchemy import select\nfrom greensword.core.db import session_scope\n"
            "from greensword.registry.models import Agency\nwith session_scope() as s:\n"
            "    for code, level in s.execute(select(Agency.division_code, Agency.level)):\n"
            "        print(code, level)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    officers = [f"officer-{c}" for c, lv in rows if lv == "county"]
    leaders = ["leader"] + [f"leader-{c}" for c, lv in rows if lv == "city"]
    return officers, leaders


async def drive(base: str, n: int, seconds: float, think: float, officers, leaders, stats: Stats) -> float:
    """Sign every user in first (argon2 makes a sign-in deliberately slow; timed as "login"), then
    run the mix for ``seconds``."""
    rng = random.Random(2026)
    window = {"logged_in": 0, "deadline": 0.0}
    ready = asyncio.Event()
    tasks = []
    for i in range(n):
        leader = i % 5 == 4
        name = leaders[i % len(leaders)] if leader else officers[i % len(officers)]
        tasks.append(asyncio.create_task(user(base, name, LEADER_PAGES if leader else OFFICER_PAGES, window, think,
                                              stats, random.Random(rng.random()), not leader, ready)))
        await asyncio.sleep(0.02)
    t = time.monotonic()
    while window["logged_in"] < n and time.monotonic() - t < 600:
        await asyncio.sleep(0.2)
    print(f"{window['logged_in']} users signed in after {time.monotonic() - t:.0f} s; timed window starts")
    start = time.monotonic()
    window["deadline"] = start + seconds
    ready.set()
    await asyncio.gather(*tasks)
    return time.monotonic() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--think", type=float, default=2.0, help="mean seconds between a user's requests")
    ap.add_argument("--scale", default="province")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--sqlite", action="store_true", help="use the SQLite database in GREENSWORD_DATA_DIR")
    args = ap.parse_args()
    if args.seconds > 300 or args.users > 1000:
        raise SystemExit("bounded: at most 1000 users and 300 s")

    tmp = Path(tempfile.mkdtemp(prefix="gs-load-"))
    tmp.chmod(0o755)                                   # the postgres user runs the cluster in it
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.setdefault("GREENSWORD_DATA_DIR", str(tmp / "var"))
    pg_dir = None
    if not args.sqlite:
        url = args.database_url
        if not url:
            pg_dir = tmp / "pg"
            url = subprocess.run([str(ROOT / "scripts/pg.sh"), "start", str(pg_dir)], capture_output=True, text=True,
                                 check=True).stdout.strip()
            print(f"throwaway PostgreSQL: {url}")
        env["GREENSWORD_DATABASE_URL"] = url
    os.environ.update({k: env[k] for k in ("GREENSWORD_DATA_DIR",)})
    server = None
    try:
        cli = [sys.executable, "-m", "greensword.cli"]
        run([*cli, "db", "upgrade"], env)
        if subprocess.run([*cli, "db", "is-empty"], env=env).returncode == 0:
            t = time.perf_counter()
            run([*cli, "demo", "--scale", args.scale], env)
            print(f"demo ({args.scale}) generated in {time.perf_counter() - t:.1f} s")
        officers, leaders = accounts(env)
        port = free_port()
        senv = {**env, "GREENSWORD_GATEWAY_PORT": str(free_port())}
        if args.workers:
            senv["GREENSWORD_WORKERS"] = str(args.workers)
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=senv, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "wb"),
                                  start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        stats = Stats()
        load = os.getloadavg()
        print(f"{args.users} users for {args.seconds:.0f} s (think {args.think} s), server workers "
              f"{args.workers or os.cpu_count()}, load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        elapsed = asyncio.run(drive(base, args.users, args.seconds, args.think, officers, leaders, stats))
        load = os.getloadavg()
        total = sum(len(v) for v in stats.times.values())
        print(f"\n{'request':26} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'5xx/err':>8} {'4xx':>5}")
        for kind, xs in sorted(stats.times.items(), key=lambda kv: -len(kv[1])):
            print(f"{kind:26} {len(xs):6} {pct(xs, 50):8.0f} {pct(xs, 95):8.0f} {pct(xs, 99):8.0f} "
                  f"{stats.errors[kind]:8} {stats.client_errors[kind]:5}")
        pages = {k: v for k, v in stats.times.items() if k != "login"}
        every = [x for xs in pages.values() for x in xs]
        total = len(every)
        print(f"{'all but login':26} {total:6} {pct(every, 50):8.0f} {pct(every, 95):8.0f} {pct(every, 99):8.0f} "
              f"{sum(stats.errors[k] for k in pages):8} {sum(stats.client_errors[k] for k in pages):5}")
        print(f"\n{total / elapsed:.1f} requests/s over {elapsed:.0f} s; load average after {load[0]:.2f} "
              f"{load[1]:.2f} {load[2]:.2f}")
        for s in stats.samples:
            print("  error:", s)
    finally:
        if server is not None:
            import signal

            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if pg_dir is not None:
            subprocess.run([str(ROOT / "scripts/pg.sh"), "stop", str(pg_dir)], check=False)


if __name__ == "__main__":
    main()
