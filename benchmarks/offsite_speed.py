"""Off-site screening speed: seconds and peak memory per province-day with DuckDB (optionally Spark).
One province-day ≈ 1,000 points × 20 factors × 1,440 minutes ≈ 29 M minute rows at a 1-minute
interval (2.9 M at 10 minutes), plus the devices' hourly and daily data where they send them.

    PYTHONPATH=src .venv/bin/python benchmarks/offsite_speed.py [--points 1000] [--factors 20]
        [--days 1,3] [--interval 1] [--spark]

Data are generated day by day (each day in a child process, so generation is not in the measured
RSS) into a temporary lake by the adversarial generator (legitimate events included), then
screened day by day exactly as `greensword offsite detect` does (24 h context, state carried over).
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from greensword.offsite import adversary, engine


def specs(points: int, factors: int, interval: int):
    extra = {f"x{i:05d}": 100.0 for i in range(max(0, factors - 8))}
    out = []
    for i in range(points):
        gas = i % 3 != 2
        lim = dict(adversary.GAS if gas else adversary.WATER) | extra
        out.append(adversary.Spec(f"BEN{'G' if gas else 'W'}{i:020d}"[:24], "gas" if gas else "water", lim,
                                  6.0 if gas else None, interval, device_hourly=i % 2 == 0))
    return out


def _generate_day(root, sp, day, seed):
    adversary.generate(root, points=len(sp), days=1, start=day, seed=seed, counts={}, specs=sp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--factors", type=int, default=20)
    ap.add_argument("--days", default="1,3")
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--spark", action="store_true")
    args = ap.parse_args()
    sp = specs(args.points, args.factors, args.interval)
    limits = adversary.limits_for(sp)
    for days in (int(x) for x in args.days.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            start = date(2026, 3, 2)
            t = time.perf_counter()
            for d in range(days):
                ctx = multiprocessing.get_context("spawn")
                p = ctx.Process(target=_generate_day, args=(root, sp, start + timedelta(days=d), 1000 + d))
                p.start()
                p.join()
            import duckdb

            rows = duckdb.connect().execute(
                f"select count(*) from read_parquet('{root}/*/date=*/*.parquet')").fetchone()[0]
            gen = time.perf_counter() - t
            for eng in (["duckdb", "spark"] if args.spark else ["duckdb"]):
                spark = None
                if eng == "spark":
                    from greensword.offsite.hourly import spark_session

                    spark = spark_session()
                t = time.perf_counter()
                cpu = time.process_time()
                state: dict = {}
                n = 0
                d0 = datetime.combine(start, datetime.min.time())
                for d in range(days):
                    s = d0 + timedelta(days=d)
                    n += len(engine.screen(root, limits, s, s + timedelta(days=1), engine=eng, spark=spark,
                                           state=state))
                dt = time.perf_counter() - t
                cpu = time.process_time() - cpu
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{days} province-day(s) at a {args.interval}-minute interval, {rows:,} rows "
                      f"({args.points} points × {args.factors} factors): {eng} {dt:.1f} s = {rows / dt:,.0f} rows/s, "
                      f"{dt / days:.1f} s per day (CPU {cpu / days:.1f} s per day, all threads; load average "
                      f"{__import__('os').getloadavg()[0]:.1f}), {n} findings, peak RSS of this process {peak:,.0f} MiB "
                      f"(generation {gen:.0f} s)", flush=True)
                if spark is not None:
                    spark.stop()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
