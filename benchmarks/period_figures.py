"""A period's figures for every unit (statistics._compute: what a cold statistics page or ranking
computes per period) from the per-month rows the database keeps (core.summary) against the direct
count from the records, in one process, alternating, the aggregates cache emptied before each.

    GREENSWORD_DATA_DIR=/tmp/national python benchmarks/period_figures.py [--reps 2]

Prints, per period (whole years, a half-year, the year so far, one across a year boundary), the
best wall and CPU time of each way over ``--reps`` runs, and the load average before and after.
On PostgreSQL (GREENSWORD_DATABASE_URL) the CPU is this process's only; the server's is not in it.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from functools import partial

from greensword.cases import queries as case_queries
from greensword.core import cache
from greensword.core.db import session_scope
from greensword.core.migrate import upgrade
from greensword.evaluation import statistics
from greensword.inspection import queries as inspection_queries
from greensword.offsite import queries as offsite_queries
from greensword.portal import queries as portal_queries

KEPT = [(case_queries, "county_sums"), (inspection_queries, "county_sums"), (portal_queries, "county_sums"),
        (offsite_queries, "leads_by_agency")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--year", type=int, default=2026)
    args = ap.parse_args()
    upgrade()
    y = args.year
    periods = [(date(y, 1, 1), date(y, 12, 31)), (date(y - 1, 1, 1), date(y - 1, 12, 31)),
               (date(y, 1, 1), date(y, 6, 30)), (date(y, 1, 1), date(y, 12, 6)), (date(y - 1, 3, 15), date(y, 2, 10))]
    originals = {(m, name): getattr(m, name) for m, name in KEPT}
    population = statistics._population

    def direct(on: bool) -> None:
        for (m, name), f in originals.items():
            setattr(m, name, partial(f, use_summary=False) if on else f)
        statistics._population = (lambda s, direct=False: population(s, direct=True)) if on else population

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    try:
        with session_scope() as s:
            statistics.agencies(s)
            for start, end in periods:
                best: dict[bool, tuple[float, float]] = {}
                for _ in range(args.reps):
                    for on in (True, False):
                        direct(on)
                        cache.clear()
                        t, c = time.perf_counter(), time.process_time()
                        statistics._compute(s, statistics.Filters(start, end), False)
                        took = ((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)
                        best[on] = min(best.get(on, took), took, key=lambda x: x[1])
                d, k = best[True], best[False]
                print(f"{start} … {end}: from the records wall {d[0]:6.0f} ms cpu {d[1]:6.0f} ms | "
                      f"kept months wall {k[0]:6.0f} ms cpu {k[1]:6.0f} ms", flush=True)
    finally:
        direct(False)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
