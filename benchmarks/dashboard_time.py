"""Server CPU of one /dashboard request on the demo province, for a province, a city and a county
leader: with its figures cached (warm: no write since the last view), right after an audited
write (write: what a leader gets while officers work — every cached figure is outdated, and each
is recomputed unless it is slow and may be served stale, see core.cache), and with every cached
figure dropped (cold: a fresh worker).

    GREENSWORD_DATA_DIR=var .venv/bin/python benchmarks/dashboard_time.py [--reps 10] [--profile warm|cold]

Requests go through the whole ASGI app in this process; the figure is the process's CPU time over
the request (what the server works, whatever else the machine does) and its wall time. Stale serving
is off unless GREENSWORD_CACHE_STALE_AFTER_S is set (then a slow figure outdated by the write is
served stale and recomputed by the worker's background thread, whose CPU is not in the figure).
``--profile`` prints the top functions of cProfile for one kind of request, of the province leader.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("GREENSWORD_CACHE_STALE_AFTER_S", "1e9")   # a cold request computes, never serves stale
os.environ.setdefault("GREENSWORD_PREWARM_FIGURES", "0")

from fastapi.testclient import TestClient  # noqa: E402

from benchmarks.page_times import ensure_demo, login, users  # noqa: E402
from greensword.core import cache  # noqa: E402
from greensword.core.db import get_engine  # noqa: E402
from greensword.web.app import create_app  # noqa: E402


def touch() -> None:
    """An audited write, as any officer's step makes: the data head moves, every cached figure is
    outdated."""
    from greensword.core import audit
    from greensword.core.auth import Actor
    from greensword.core.db import session_scope

    with session_scope() as s:
        audit.record(s, Actor.system("benchmark"), "benchmark.touch", "benchmark", 1, {"at": time.time()})


#: SQL statements run (by any thread of this process) since the counter was last read
STATEMENTS = [0]


def one(client: TestClient, kind: str) -> tuple[float, float, int]:
    if kind == "cold":
        cache.clear()
    elif kind == "write":
        touch()
    STATEMENTS[0] = 0
    t, c = time.perf_counter(), time.process_time()
    r = client.get("/dashboard")
    assert r.status_code == 200, r.status_code
    return (time.process_time() - c) * 1000, (time.perf_counter() - t) * 1000, STATEMENTS[0]


def profile(username: str, kind: str, reps: int) -> None:
    """cProfile of the dashboard's figures (``service.overview``) in this thread, as a request
    computes them (the app's worker threads are not profiled through the test client)."""
    import cProfile
    import pstats

    from sqlalchemy import select

    from greensword.core.auth import actor_for
    from greensword.core.db import session_scope
    from greensword.core.models import User
    from greensword.dashboard import service

    def run() -> None:
        if kind == "cold":
            cache.clear()
        elif kind == "write":
            touch()
        with session_scope() as s:
            user = s.execute(select(User).where(User.username == username)).scalar_one()
            service.overview(s, actor_for(s, user))

    run()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(reps):
        run()
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--profile", choices=("warm", "write", "cold"), default="")
    args = ap.parse_args()
    ensure_demo()
    from sqlalchemy import event

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", lambda *a: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1))
    app = create_app(engine)
    who = users()
    leaders = {"province leader": who["province leader"], "city leader": who["city leader"],
               "county leader": who["county officer"].replace("officer-", "leader-")}
    with TestClient(app) as client:
        if args.profile:
            profile(leaders["province leader"], args.profile, args.reps)
            return
        for role, user in leaders.items():
            login(client, user)
            one(client, "warm")                             # the session's own first request
            for kind in ("warm", "write", "cold"):
                cpu, wall, sql = zip(*(one(client, kind) for _ in range(args.reps)), strict=True)
                print(f"{role:16} {kind:5} cpu p50 {statistics.median(cpu):7.1f} ms  min {min(cpu):7.1f}"
                      f"  wall p50 {statistics.median(wall):7.1f} ms  SQL statements p50 {statistics.median(sql):5.0f}",
                      flush=True)
            one(client, "warm")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
