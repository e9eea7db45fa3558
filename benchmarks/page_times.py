"""Server time of every console page, per role, on the demo province: a table of p50/p95 (and the
first, cold request) per page and role, pages over the 300 ms goal marked.

    GREENSWORD_DATA_DIR=var .venv/bin/python benchmarks/page_times.py [--reps 5] [--roles leader,officer]

The demo province is generated into GREENSWORD_DATA_DIR first when that database is empty. The
pages are what each role is shown: its menu, the detail pages the lists link to (first two of
each), the statistics and exports. Requests go through the whole ASGI app in this process (no
network), so the time is the server's.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from greensword.core.db import get_engine, session_scope
from greensword.core.migrate import upgrade
from greensword.registry.models import Agency, Enterprise
from greensword.web import security
from greensword.web.app import create_app

GOAL_MS = 300.0
PASSWORD = "greensword-demo"
NAV = re.compile(r'href="(/[a-z][^"#?]*)"')
SKIP = re.compile(r"^/(logout|static|vendor|favicon|api/v1/docs|login)|\.(docx|pdf|png|jpg|svg)$")
#: Pages every role with access should be timed on, beyond its menu and what lists link to.
EXTRA = ("/inspection/stats", "/statistics", "/evaluation", "/inspection/tasks", "/offsite/leads",
         "/registry/officers", "/public/inspections", "/public/inspections.csv", "/statistics.xlsx",
         "/api/v1/registry/export/enterprises.xlsx", "/api/v1/registry/export/enterprises.csv")


def ensure_demo() -> None:
    upgrade()
    with session_scope() as s:
        if s.execute(select(func.count()).select_from(Agency)).scalar_one():
            return
    from greensword.demo.cli import run_demo

    t = time.perf_counter()
    with session_scope() as s:
        run_demo(s, scale="province", seed=2026, today=date.today())
    print(f"demo province generated in {time.perf_counter() - t:.1f} s")


def users() -> dict[str, str]:
    with session_scope() as s:
        city = s.execute(select(Agency.division_code).where(Agency.level == "city")
                         .order_by(Agency.division_code)).scalars().first()
        county = s.execute(select(Agency.division_code).where(Agency.level == "county")
                           .order_by(Agency.division_code)).scalars().first()
        uscc = s.execute(select(Enterprise.uscc).where(Enterprise.key_polluter != "")
                         .order_by(Enterprise.id)).scalars().first()
    return {"province leader": "leader", "city leader": f"leader-{city}", "county officer": f"officer-{county}",
            "province officer": "officer", "reviewer": "reviewer", "evaluator": "evaluator", "admin": "admin",
            "enterprise": f"ent-{uscc}"}


def login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    client.get("/login")
    token = security.csrf_token(client.cookies.get(security.CSRF_COOKIE), None)
    r = client.post("/login", data={"username": username, "password": PASSWORD},
                    headers={security.CSRF_HEADER: token}, follow_redirects=False)
    if r.status_code != 303:
        raise SystemExit(f"login as {username} failed: {r.status_code} {r.text[:200]}")


def links(html: str) -> list[str]:
    return [u for u in dict.fromkeys(NAV.findall(html)) if not SKIP.search(u)]


FIRST: dict[str, float] = {}


def _get(client: TestClient, url: str):
    """A request; the first one to each URL (cold: nothing cached in this process yet) is timed."""
    t = time.perf_counter()
    r = client.get(url)
    FIRST.setdefault(url, (time.perf_counter() - t) * 1000)
    return r


def pages_for(client: TestClient) -> list[str]:
    """The role's menu and extra pages it may open, then the first two detail pages each links to."""
    FIRST.clear()
    home = _get(client, "/")
    menu = [u for u in links(home.text) if u.count("/") == 1 or u in EXTRA or u.startswith(("/inspection/plans",
                                                                                            "/registry/"))]
    out = ["/", *menu]
    for u in EXTRA:
        if u not in out and _get(client, u).status_code == 200:
            out.append(u)
    for u in list(out):
        if u.endswith((".csv", ".xlsx")):
            continue
        r = _get(client, u)
        if r.status_code != 200:
            continue
        detail = [v for v in links(r.text) if v.startswith(u.rstrip("/") + "/") and re.search(r"\d", v)
                  and v not in out]
        out.extend(detail[:2])
    return out


def time_page(client: TestClient, url: str, reps: int) -> tuple[int, float, list[float], list[float]]:
    """Status, the cold time, then each repeat's wall time and CPU time (the process's CPU seconds
    over the request: the app runs in this process, so this is the server's work, whatever else
    the machine is doing — on a loaded machine the wall time mostly measures the wait for a core)."""
    t = time.perf_counter()
    r = client.get(url)
    cold = FIRST.get(url, (time.perf_counter() - t) * 1000)
    times, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return r.status_code, cold, times, cpu


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5, help="timed requests per page after the first (cold) one")
    ap.add_argument("--roles", default="", help="comma-separated role labels (default: all)")
    ap.add_argument("--only", default="", help="only URLs containing this text")
    ap.add_argument("--no-exports", action="store_true", help="leave out .csv/.xlsx downloads")
    args = ap.parse_args()
    ensure_demo()
    app = create_app(get_engine())
    who = users()
    wanted = [r.strip() for r in args.roles.split(",") if r.strip()] or list(who)
    rows, slow = [], 0
    with TestClient(app) as client:
        for role in wanted:
            login(client, who[role])
            for url in pages_for(client):
                if args.only and args.only not in url or args.no_exports and url.endswith((".csv", ".xlsx")):
                    continue
                code, cold, times, cpu = time_page(client, url, args.reps)
                p50, p95 = statistics.median(times), pct(times, 95)
                flag = " !" if p95 > GOAL_MS else ""
                slow += bool(flag)
                rows.append((role, url, code, cold, p50, p95, flag))
                print(f"{role:16} {url[:58]:58} {code:4} cold {cold:7.0f} ms  p50 {p50:7.0f}  p95 {p95:7.0f}"
                      f"  cpu p50 {statistics.median(cpu):6.0f}{flag}", flush=True)
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{len(rows)} page×role timings, {args.reps} requests each after the first (cold: this role's first "
          f"request to the page in this process; caches are per process and shared by roles); "
          f"{slow} over {GOAL_MS:.0f} ms at p95 (marked !)")
    worst = sorted(rows, key=lambda r: -r[5])[:10]
    print("slowest (p95):", ", ".join(f"{u} [{r}] {p:.0f} ms" for r, u, _, _, _, p, _ in worst))


if __name__ == "__main__":
    main()
