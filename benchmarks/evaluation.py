"""Time the province's full statistics, the evaluation of every level and the leader's
dashboard on the demo province.

    GREENSWORD_DATA_DIR=var .venv/bin/python benchmarks/evaluation.py
"""

import time
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from greensword.core.db import get_engine, session_scope
from greensword.core.timeutil import now
from greensword.evaluation import service, statistics
from greensword.registry.models import Agency
from greensword.web.app import create_app


def timed(label, fn, n=3):
    best = None
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"{label}: {best:.3f} s (best of {n})")
    return out


def main() -> None:
    year = now().year
    with session_scope() as s:
        prov = s.execute(select(Agency).where(Agency.level == "province")).scalars().first()
        f = statistics.Filters(date(year, 1, 1), date(year, 12, 31))
        rep = timed("statistics: province + 11 cities, this year, same period last year, previous period",
                    lambda: statistics.report(s, prov, f))
        print(f"  cases filed {rep['unit']['cases_filed']:.0f}, decisions {rep['unit']['decisions']:.0f}, "
              f"fines {rep['unit']['fines_yuan']:,.0f} yuan, inspections {rep['unit']['inspections']:.0f}")
        timed("statistics: every agency (102 units) for the year", lambda: statistics.compute(s, f))
        for level in ("province", "city", "county"):
            cards = timed(f"evaluation: {level} level (with last year for progress)",
                          lambda level=level: service.evaluate(s, year=year, level=level))
            tied = sum(1 for c in cards if c.tied)
            print(f"  {len(cards)} units, {sum(c.outstanding for c in cards)} outstanding, "
                  f"{sum(c.progress for c in cards)} progress, {tied} in ties")
    app = create_app(get_engine())
    with TestClient(app) as client:
        client.post("/login", data={"username": "leader", "password": "greensword-demo"})
        r = timed("leader dashboard page (province), HTTP round trip", lambda: client.get("/dashboard"))
        assert r.status_code == 200, r.status_code
        timed("ranking page (county level)", lambda: client.get("/evaluation?level=county"))


if __name__ == "__main__":
    main()
