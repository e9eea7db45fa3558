"""Off-site screening speed: rows/s and peak memory for 1, 7 (and 30) province-days with DuckDB,
optionally Spark. One province-day ≈ 1,000 points × 20 factors × 1,440 minutes ≈ 29 M rows.

    .venv/bin/python benchmarks/offsite_speed.py [--points 1000] [--factors 20] [--days 1,7] [--spark]

Data are generated day by day into a temporary lake (bounded memory), then screened day by day
exactly as `greensword offsite detect` does (24 h of context, fingerprints carried over).
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from greensword.offsite import engine, generator
from greensword.offsite.hourly import Limits


def specs(points: int, factors: int):
    extra = [f"x{i:05d}" for i in range(max(0, factors - 8))]
    out = []
    for i in range(points):
        gas = i % 3 != 2
        lim = dict(generator.GAS if gas else generator.WATER)
        table = {c: v[1] for c, v in lim.items()} | {c: 100.0 for c in extra}
        out.append((f"BEN{'G' if gas else 'W'}{i:020d}"[:24], "gas" if gas else "water", table, 6.0 if gas else None))
    return out


def _generate_day(root, sp, day, seed):
    generator.generate(root, points=len(sp), days=1, start=day, seed=seed, counts={}, specs=sp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--factors", type=int, default=20)
    ap.add_argument("--days", default="1,7")
    ap.add_argument("--spark", action="store_true")
    args = ap.parse_args()
    sp = specs(args.points, args.factors)
    for days in (int(x) for x in args.days.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            start = date(2026, 3, 2)
            t = time.perf_counter()
            rows = 0
            limits = None
            for d in range(days):          # each day generated in a child process: bounded, and not in our RSS
                ctx = multiprocessing.get_context("spawn")
                p = ctx.Process(target=_generate_day, args=(root, sp, start + timedelta(days=d), 1000 + d))
                p.start()
                p.join()
            limits = Limits({mn: {f: (lim, ref) for f, lim in table.items()} for mn, _, table, ref in sp})
            import duckdb

            rows = duckdb.connect().execute(
                f"select count(*) from read_parquet('{root}/minute/date=*/*.parquet')").fetchone()[0]
            gen = time.perf_counter() - t
            for eng in (["duckdb", "spark"] if args.spark else ["duckdb"]):
                spark = None
                if eng == "spark":
                    from greensword.offsite.hourly import spark_session

                    spark = spark_session()
                t = time.perf_counter()
                state: dict = {}
                n = 0
                d0 = datetime.combine(start, datetime.min.time())
                for d in range(days):
                    s = d0 + timedelta(days=d)
                    n += len(engine.screen(root, limits or Limits({}), s, s + timedelta(days=1), engine=eng,
                                           spark=spark, context=timedelta(hours=24), state=state))
                dt = time.perf_counter() - t
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{days} province-day(s), {rows:,} rows ({args.points} points × {args.factors} factors): "
                      f"{eng} {dt:.1f} s = {rows / dt:,.0f} rows/s, {dt / days:.1f} s per day, "
                      f"{n} findings, peak RSS of this process {peak:,.0f} MiB (generation {gen:.0f} s)")
                if spark is not None:
                    spark.stop()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
