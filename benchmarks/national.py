"""Statistics and ranking pages on the national data set: cold (aggregates cache empty) and warm
server time per page for the ministry leader, a province leader and a city leader.

    GREENSWORD_DATA_DIR=/tmp/national python benchmarks/national.py [--reps 3] [--build 1.0]

The database must hold the national set (``greensword demo --scale national``; ``--build F``
builds it first at fraction F when the database is empty). Requests go through the whole ASGI app
in this process (no network), so the time is the server's. "Cold" is the first request after the
aggregates cache (core.cache) is emptied — what the first user sees after any audited write;
"warm" is the median of the next ``--reps`` requests; "after a write" is the next request after an
audited data write (slow figures are then served from before it, marked, while a background thread
recomputes them — core.cache). The goal is < 2 s. The cold request's
CPU time of this process (the app and SQLite run in it) is printed too: on a shared machine it says
what the wall time would be without the other load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from greensword.core import cache
from greensword.core.db import get_engine, session_scope
from greensword.core.migrate import upgrade
from greensword.registry.models import Agency
from greensword.web.app import create_app

try:
    from benchmarks.page_times import login
except ImportError:                                  # run as a script from the repository root
    from page_times import login  # type: ignore[no-redef]

GOAL_MS = 2000.0


def pages(year: int) -> list[str]:
    return ["/statistics", f"/statistics?year={year - 1}", "/evaluation", "/evaluation?level=province",
            "/evaluation?level=city", "/api/v1/evaluation/ranking", "/api/v1/evaluation/ranking?level=province",
            "/dashboard", "/statistics.xlsx",
            # figures no worker start computes: a half-year, a special action, a violation type, H1 ranking
            f"/statistics?start={year}-01-01&end={year}-06-30", "/statistics?tag=清水蓝天",
            "/statistics?violation=WATER-83-3", "/evaluation?period=h1"]


def roles() -> dict[str, str]:
    with session_scope() as s:
        prov = s.execute(select(Agency).where(Agency.level == "province").order_by(Agency.division_code)).scalars()
        big = max(prov, key=lambda a: s.execute(select(func.count()).select_from(Agency).where(
            Agency.path.startswith(a.path))).scalar_one())
        city = s.execute(select(Agency.division_code).where(Agency.level == "city", Agency.path.startswith(big.path))
                         .order_by(Agency.division_code)).scalars().first()
    return {"ministry leader": "leader", f"province leader ({big.name})": f"leader-{big.division_code}",
            "city leader": f"leader-{city}"}


def touch() -> None:
    """One audited, data-changing write (an enterprise's record saved unchanged): it moves the data
    head as any officer's save does, so every cached figure is from before it."""
    from greensword.core import audit
    from greensword.registry.models import Enterprise

    with session_scope() as s:
        e = s.execute(select(Enterprise).order_by(Enterprise.id).limit(1)).scalar_one()
        audit.record(s, None, "enterprise.update", "enterprise", e.id, {"name": e.name}, "基准测试：原样保存")


def clear() -> None:
    with cache._lock:
        cache._store.clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3, help="warm requests per page after the cold one")
    ap.add_argument("--build", type=float, default=0.0, help="build the national set at this fraction if empty")
    ap.add_argument("--only", default="", help="only URLs containing this text")
    args = ap.parse_args()
    upgrade()
    with session_scope() as s:
        n = s.execute(select(func.count()).select_from(Agency)).scalar_one()
    if not n and args.build:
        from greensword.demo.national import build

        t = time.perf_counter()
        with session_scope() as s:
            build(s, fraction=args.build)
        print(f"national set built (fraction {args.build}) in {time.perf_counter() - t:.1f} s")
    year = __import__("greensword.core.timeutil", fromlist=["today"]).today().year
    app = create_app(get_engine())
    rows = []
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with TestClient(app) as client:
        for label, user in roles().items():
            login(client, user)
            for url in pages(year):
                if args.only and args.only not in url:
                    continue
                clear()
                t, c = time.perf_counter(), time.process_time()
                r = client.get(url)
                cold, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
                warm = []
                for _ in range(args.reps):
                    t = time.perf_counter()
                    client.get(url)
                    warm.append((time.perf_counter() - t) * 1000)
                w = statistics.median(warm) if warm else float("nan")
                touch()                              # an audited data write: every cached figure is outdated
                t = time.perf_counter()
                r2 = client.get(url)
                after = (time.perf_counter() - t) * 1000
                stale = "stale-figures" in r2.text
                cache.wait_refreshed(600)            # the background recomputation, before the next page
                flag = " !" if after > GOAL_MS else ""
                rows.append((label, url, r.status_code, cold, w, after))
                print(f"{label:34} {url[:44]:44} {r.status_code:4} cold {cold:7.0f} ms (cpu {cpu:6.0f})  "
                      f"warm p50 {w:6.0f} ms  after a write {after:6.0f} ms{' (stale)' if stale else ''}  "
                      f"{len(r.content) / 1024:6.0f} KB{flag}", flush=True)
    over = [r for r in rows if r[3] > GOAL_MS]
    late = [r for r in rows if r[5] > GOAL_MS]
    print(f"\n{len(rows)} timings; {len(over)} over {GOAL_MS:.0f} ms cold (first request of a server), "
          f"{len(late)} over {GOAL_MS:.0f} ms after a write; load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
