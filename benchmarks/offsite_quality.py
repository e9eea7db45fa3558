"""Precision and recall per detector on injected data, with seeds the tests do not use.

    .venv/bin/python benchmarks/offsite_quality.py [--points 60] [--days 14] [--per-kind 8] [--seeds 101,202,303]
"""

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from greensword.offsite import engine, generator


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=60)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--per-kind", type=int, default=8)
    ap.add_argument("--seeds", default="101,202,303")
    args = ap.parse_args()
    totals = {k: {"tp_f": 0, "f": 0, "tp_l": 0, "l": 0} for k in generator.KINDS}
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            start = date(2026, 3, 1)
            t = time.perf_counter()
            _, labels, limits = generator.generate(Path(tmp), points=args.points, days=args.days, start=start,
                                                   seed=seed, counts={k: args.per_kind for k in generator.KINDS})
            gen = time.perf_counter() - t
            t = time.perf_counter()
            s = datetime.combine(start, datetime.min.time())
            found = engine.screen(Path(tmp), limits, s, s + timedelta(days=args.days))
            print(f"seed {seed}: {args.points} points × {args.days} days, {len(labels)} injected, "
                  f"{len(found)} findings (generate {gen:.1f} s, screen {time.perf_counter() - t:.1f} s)")
            for k, q in engine.quality(found, labels).items():
                t_ = totals[k]
                t_["f"] += q["findings"]
                t_["l"] += q["labels"]
                t_["tp_f"] += round(q["precision"] * q["findings"])
                t_["tp_l"] += round(q["recall"] * q["labels"])
    print(f"{'detector':<18} {'precision':>9} {'recall':>7} {'findings':>8} {'labels':>6}")
    for k, t_ in totals.items():
        p = t_["tp_f"] / t_["f"] if t_["f"] else 1.0
        r = t_["tp_l"] / t_["l"] if t_["l"] else 1.0
        print(f"{k:<18} {p:>9.3f} {r:>7.3f} {t_['f']:>8} {t_['l']:>6}")


if __name__ == "__main__":
    main()
