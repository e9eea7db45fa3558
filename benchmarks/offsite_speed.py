"""Off-site screening speed: seconds and peak memory per province-day with DuckDB (optionally Spark).
One province-day ≈ 1,000 points × 20 factors × 1,440 minutes ≈ 29 M minute rows at a 1-minute
interval (2.9 M at 10 minutes), plus the devices' hourly and daily data where they send them.

    PYTHONPATH=src .venv/bin/python benchmarks/offsite_speed.py [--points 1000] [--factors 20]
        [--days 1,2] [--interval 1] [--spark] [--lake DIR]

Data are generated day by day (each day in a child process, so generation is not in the measured
RSS) by the adversarial generator (legitimate events included) into a temporary lake, or into
--lake DIR, kept and reused on the next run (a 1-minute province-day takes minutes to generate).
Each measurement screens day by day exactly as `greensword offsite detect` does (context read,
state carried over) in a fresh child process, and prints rows, wall and CPU seconds (CPU of the
process, all threads: on a shared machine wall time is mostly waiting), rows/s, the CPU per stage
(query = DuckDB reading and aggregating the minute data; assemble = intervals, device data, the
hourly table; then each detector), the child's peak RSS and the load average.
"""

import argparse
import multiprocessing
import os
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


def _screen(root, limits, start, days, eng, out):
    """In a child process: screen ``days`` days; figures to the queue ``out``."""
    np.seterr(all="ignore")
    spark = None
    if eng == "spark":
        from greensword.offsite.hourly import spark_session

        spark = spark_session()
    t = time.perf_counter()
    cpu = time.process_time()
    state: dict = {}
    timings: dict = {}
    n = 0
    d0 = datetime.combine(start, datetime.min.time())
    for d in range(days):
        s = d0 + timedelta(days=d)
        n += len(engine.screen(root, limits, s, s + timedelta(days=1), engine=eng, spark=spark, state=state,
                               timings=timings))
    out.put({"wall": time.perf_counter() - t, "cpu": time.process_time() - cpu, "findings": n,
             "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "timings": timings})
    if spark is not None:
        spark.stop()


def _lake(base: Path | None, tmp: str, sp, start: date, days: int, interval: int, points: int, factors: int) -> Path:
    root = (base / f"p{points}-f{factors}-i{interval}") if base else Path(tmp) / "lake"
    ctx = multiprocessing.get_context("spawn")
    for d in range(days):
        day = start + timedelta(days=d)
        if (root / "minute" / f"date={day.isoformat()}").exists() or (root / "hour" / f"date={day.isoformat()}").exists():
            continue                                        # kept from an earlier run
        p = ctx.Process(target=_generate_day, args=(root, sp, day, 1000 + d))
        p.start()
        p.join()
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--factors", type=int, default=20)
    ap.add_argument("--days", default="1,2")
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--spark", action="store_true")
    ap.add_argument("--lake", type=Path, help="keep generated data here and reuse it")
    args = ap.parse_args()
    sp = specs(args.points, args.factors, args.interval)
    limits = adversary.limits_for(sp)
    start = date(2026, 3, 2)
    import duckdb

    for days in (int(x) for x in args.days.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            root = _lake(args.lake, tmp, sp, start, days, args.interval, args.points, args.factors)
            gen = time.perf_counter() - t
            last = (start + timedelta(days=days - 1)).isoformat()
            rows = duckdb.connect().execute(
                f"select count(*) from read_parquet('{root}/minute/date=*/*.parquet', hive_partitioning = true) "
                f"where date between '{start}' and '{last}'").fetchone()[0]
            for eng in (["duckdb", "spark"] if args.spark else ["duckdb"]):
                ctx = multiprocessing.get_context("spawn")
                q = ctx.Queue()
                p = ctx.Process(target=_screen, args=(root, limits, start, days, eng, q))
                p.start()
                f = q.get()
                p.join()
                stages = ", ".join(f"{k} {c / days:.1f}" for k, (_w, c) in f["timings"].items() if c / days >= 0.05)
                print(f"{days} province-day(s) at a {args.interval}-minute interval ({args.points} points × "
                      f"{args.factors} factors), {eng}: {rows:,} minute rows, wall {f['wall']:.1f} s "
                      f"({f['wall'] / days:.1f} s/day), CPU {f['cpu']:.1f} s ({f['cpu'] / days:.1f} s/day, all threads), "
                      f"{rows / f['wall']:,.0f} rows/s wall, {rows / f['cpu']:,.0f} rows/s CPU, peak RSS "
                      f"{f['peak']:,.0f} MiB, {f['findings']} findings, load average {os.getloadavg()[0]:.1f} "
                      f"(generation {gen:.0f} s)\n    CPU s/day by stage: {stages}", flush=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
