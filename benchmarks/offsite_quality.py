"""Off-site detection quality on adversarial labelled data (offsite/adversary.py), with seeds the
tests never use, screened day by day as ``greensword offsite detect`` does.

    PYTHONPATH=src .venv/bin/python benchmarks/offsite_quality.py [--points 60] [--days 10] [--per-kind 8]
        [--warmup-days 3] [--seeds 9101,9202,9303] [--sweep-seeds 9404,9505] [--no-sweep] [--explain]
        [--ranges detect|wide] [--looks default|wide]

Independence run (seeds, magnitudes and look-alike parameters the tests never use):

    ... benchmarks/offsite_quality.py --ranges wide --looks wide --seeds 7711,7722,7733 --sweep-seeds 7744,7755

Each seed's data start ``--warmup-days`` before the screened days (the lake's history: screening
reads rules ``screening.baseline_hours`` before each day), so baselines exist from day one.

Prints, per data interval (1-minute, 10-minute, hourly-only, and the realistic mix), precision and
recall per detector beside the usual platform alarm rules (peer baseline: hourly 超标, 恒值 ≥ 4 h,
零值, 负值/超量程, 数据缺失 — judged as typical platforms do: row counts, flags ignored); then a
magnitude sweep (recall per magnitude bin, ranges straddling each threshold) and exits non-zero
if a detector misses the goal (P ≥ 0.95 and R ≥ 0.95) on the detection ranges.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from greensword.offsite import adversary, engine
from greensword.offsite.detectors import HOUR, NAMES, Finding

START = date(2026, 4, 6)
SCENARIOS = {"1-min": {1: 1.0}, "10-min": {10: 1.0}, "hourly-only": {60: 1.0},
             "mixed": {1: 0.3, 5: 0.15, 10: 0.4, 60: 0.15}}
PEERS = {"exceedance": "小时超标", "flatline": "恒值≥4h", "sudden_drop": "零值", "out_of_range": "负值/超量程",
         "missing_data": "数据缺失"}
SWEEP_UNIT = {"exceedance": "目标小时均值 ×限值（>1 才标注为违法）", "flatline": "持续小时（阈值 4）", "near_limit": "小时变异系数（阈值 0.01）",
              "sudden_drop": "降至原水平的比例（阈值 0.4）", "flag_abuse": "标记小时数（阈值 >4；掩盖超标另计）",
              "missing_data": "缺失小时（阈值 3）", "o2_dilution": "O2 高于自身常态的百分点（阈值 3 且 6×MAD）",
              "duplicate_pattern": "复制时所加噪声（相对）", "out_of_range": "越界幅度",
              "power_mismatch": "治污用电降至的比例（阈值 0.2）", "aggregate_mismatch": "设备均值偏差比例（阈值 0.05）"}


def screen_days(root: Path, limits, days: int) -> list[Finding]:
    s0 = datetime.combine(START, datetime.min.time())
    state: dict = {}
    found: list[Finding] = []
    for d in range(days):
        found += engine.screen(root, limits, s0 + timedelta(days=d), s0 + timedelta(days=d + 1), state=state)
    return found


def peers(root: Path, limits, days: int) -> list[Finding]:
    """The usual platform alarm rules, as typical provincial platforms run them."""
    s0 = datetime.combine(START, datetime.min.time())
    con = duckdb.connect()
    minute = f"read_parquet('{root}/minute/*/*.parquet')"
    hourf = list(root.glob("hour/*/*.parquet"))
    hour_src = f"read_parquet('{root}/hour/*/*.parquet')" if hourf else None
    # hourly values: the device's hourly data where sent, else the minutes' average (all rows, flags ignored)
    q = f"""
      SELECT mn, factor, date_trunc('hour', data_time) h, avg(coalesce(zs_value, value)) v, count(DISTINCT data_time) n,
             min(value) lo, max(value) hi FROM {minute} GROUP BY ALL"""
    rows = con.execute(q).fetchall()
    dev = con.execute(f"SELECT mn, factor, data_time, coalesce(zs_value, value), value, value FROM {hour_src}").fetchall() \
        if hour_src else []
    hourly: dict = {}
    counts: dict = defaultdict(int)
    for mn, f, h, v, n, lo, hi in rows:
        hourly[(mn, f, h)] = (v, lo, hi)
        counts[(mn, h)] = max(counts[(mn, h)], n)
    for mn, f, h, v, lo, hi in dev:
        hourly[(mn, f, h)] = (v, lo, hi)
        counts[(mn, h)] = max(counts[(mn, h)], 60)
    out: list[Finding] = []

    def add(name, mn, f, h0, h1, text):
        out.append(Finding(mn, f, name, h0, h1, 0.5, text, {}))

    ranges = {"w01001": (0, 14), "a19001": (0, 21)}
    by_series: dict = defaultdict(list)
    for (mn, f, h), val in hourly.items():
        by_series[(mn, f)].append((h, val))
    for (mn, f), items in by_series.items():
        items.sort()
        limit, _ = limits.get(mn, f)
        run: list = []
        for h, (v, lo, hi) in items:
            if limit and v is not None and v > limit:
                add("exceedance", mn, f, h, h + HOUR, "小时超标")
            if v is not None and abs(v) < 1e-9 and not f.startswith("e1"):
                add("sudden_drop", mn, f, h, h + HOUR, "零值")
            r_lo, r_hi = ranges.get(f, (0, None))
            if lo is not None and (lo < r_lo or (r_hi is not None and hi > r_hi)):
                add("out_of_range", mn, f, h, h + HOUR, "负值/超量程")
            if run and (h - run[-1][0] != HOUR or v != run[-1][1]):
                if len(run) >= 4:
                    add("flatline", mn, f, run[0][0], run[-1][0] + HOUR, "恒值")
                run = []
            if lo is not None and lo == hi or (run and v == run[-1][1]):
                run.append((h, v))
        if len(run) >= 4:
            add("flatline", mn, f, run[0][0], run[-1][0] + HOUR, "恒值")
    for mn in limits.table:
        for i in range(days * 24):
            h = s0 + timedelta(hours=i)
            if counts.get((mn, h), 0) < 45:
                add("missing_data", mn, "*", h, h + HOUR, "数据缺失")
    return [f for f in engine.merge(out) if f.end > s0]        # the screened days only (not the warm-up)


def run(points: int, days: int, per_kind: int, seed: int, mix: dict, ranges: str = "detect", warmup: int = 3,
        looks: str = "default"):
    """Generate ``warmup`` earlier days too (the lake's history: screening reads a baseline window
    before each day, rules ``screening.baseline_hours``), screen ``days`` from START; violations
    planted in the warm-up are history, labels are kept where they reach into the screened days."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        _, labels, limits = adversary.generate(root, points=points, days=days + warmup,
                                               start=START - timedelta(days=warmup), seed=seed,
                                               counts={k: per_kind for k in adversary.KINDS}, mix=mix, ranges=ranges,
                                               looks=looks)
        s0 = datetime.combine(START, datetime.min.time()).isoformat()
        labels = [x for x in labels if x["end"] > s0]
        gen = time.perf_counter() - t
        t = time.perf_counter()
        found = screen_days(root, limits, days)
        dt = time.perf_counter() - t
        base = peers(root, limits, days) if ranges != "sweep" else []
    return labels, found, base, gen, dt


def explain(name: str, seed: int, labels: list[dict], found: list[Finding]) -> None:
    """Print every false finding and every missed label (what to investigate)."""
    def overlaps(f, x):
        return (f.mn == x["mn"] and f.start < datetime.fromisoformat(x["end"])
                and datetime.fromisoformat(x["start"]) < f.end)

    for f in found:
        if not any(overlaps(f, x) and x["detector"] == f.detector for x in labels):
            near = [x["detector"] for x in labels if overlaps(f, x)]
            print(f"  false [{name} {seed}] {f.detector} {f.mn} {f.factor} {f.start:%m-%d %H}–{f.end:%m-%d %H} "
                  f"{f.explanation} (labels there: {near or '—'})")
    for x in labels:
        if not any(overlaps(f, x) and f.detector == x["detector"] for f in found):
            other = sorted({f.detector for f in found if overlaps(f, x)})
            print(f"  missed [{name} {seed}] {x['detector']} {x['mn']} {x['factor']} {x['start']}–{x['end']} "
                  f"magnitude {x['magnitude']} (found there instead: {other or '—'})")


def _add(tot, q):
    for k, v in q.items():
        t = tot.setdefault(k, [0, 0, 0, 0])
        t[0] += v["tp_f"]
        t[1] += v["findings"]
        t[2] += v["tp_l"]
        t[3] += v["labels"]


def _pr(t):
    p = t[0] / t[1] if t[1] else (1.0 if not t[3] else 0.0)
    r = t[2] / t[3] if t[3] else 1.0
    return p, r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=60)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--per-kind", type=int, default=8)
    ap.add_argument("--warmup-days", type=int, default=3)
    ap.add_argument("--seeds", default="9101,9202,9303")
    ap.add_argument("--sweep-seeds", default="9404,9505")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--ranges", default="detect", choices=["detect", "wide"],
                    help="violation magnitudes for the tables (wide: the independence run)")
    ap.add_argument("--looks", default="default", choices=list(adversary.LOOKS),
                    help="look-alike parameters (wide: plants at 85–95 %% of the limit, 3-day shut-downs, …)")
    ap.add_argument("--explain", action="store_true", help="print every false finding and missed label")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    failed = []
    for name in args.scenarios.split(","):
        tot: dict = {}
        ptot: dict = {}
        for seed in seeds:
            labels, found, base, gen, dt = run(args.points, args.days, args.per_kind, seed, SCENARIOS[name], args.ranges,
                                               warmup=args.warmup_days, looks=args.looks)
            _add(tot, engine.quality(found, labels))
            _add(ptot, engine.quality(base, labels, list(PEERS)))
            if args.explain:
                explain(name, seed, labels, found)
            print(f"[{name}] seed {seed}: {args.points} points × {args.days} days, {len(labels)} labelled violations, "
                  f"{len(found)} findings; peer rules {len(base)} alarms (generate {gen:.1f} s, screen {dt:.1f} s)")
        print(f"\n== {name}: {len(seeds)} seeds, magnitudes in the {args.ranges!r} ranges, look-alikes {args.looks!r}")
        print(f"{'detector':<20}{'P':>7}{'R':>7}{'found':>7}{'labels':>7}   {'peer rule':<12}{'P':>7}{'R':>7}{'alarms':>8}")
        for k in NAMES:
            p, r = _pr(tot[k])
            if p < 0.95 or r < 0.95:
                failed.append((name, k, round(p, 3), round(r, 3)))
            line = f"{k:<20}{p:>7.3f}{r:>7.3f}{tot[k][1]:>7}{tot[k][3]:>7}"
            if k in PEERS:
                pp, pr = _pr(ptot[k])
                line += f"   {PEERS[k]:<12}{pp:>7.3f}{pr:>7.3f}{ptot[k][1]:>8}"
            print(line)
        print()
    if not args.no_sweep:
        bins: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        ptot = {}
        for seed in (int(s) for s in args.sweep_seeds.split(",")):
            labels, found, _, _, _ = run(args.points, args.days, args.per_kind, seed, SCENARIOS["mixed"], "sweep",
                                       warmup=args.warmup_days, looks=args.looks)
            _add(ptot, engine.quality(found, labels))
            for x in labels:
                if x["detector"] == "o2_dilution" and x["factor"] != "a19001":
                    continue                      # the sweep is over the O2 rise; 折算 deviations are in the tables
                lo, hi = adversary.RANGES["sweep"][x["detector"]]
                b = min(4, int((x["magnitude"] - lo) / ((hi - lo) / 5))) if hi > lo else 0
                hit = any(f.detector == x["detector"] and f.mn == x["mn"]
                          and f.start < datetime.fromisoformat(x["end"]) and datetime.fromisoformat(x["start"]) < f.end
                          for f in found)
                c = bins[x["detector"]][b]
                c[0] += hit
                c[1] += 1
        print("== magnitude sweep (mixed intervals; recall per fifth of the sweep range; precision over all)")
        for k in NAMES:
            lo, hi = adversary.RANGES["sweep"][k]
            cells = []
            for b in range(5):
                a, z = lo + b * (hi - lo) / 5, lo + (b + 1) * (hi - lo) / 5
                hit, n = bins[k][b]
                cells.append(f"{a:.3g}–{z:.3g}: {hit}/{n}" if n else f"{a:.3g}–{z:.3g}: –")
            p, _ = _pr(ptot.get(k, [0, 0, 0, 0]))
            print(f"{k:<20} P={p:.2f}  " + " | ".join(cells) + f"   [{SWEEP_UNIT[k]}]")
    if failed:
        print("\nbelow the goal (P ≥ 0.95 and R ≥ 0.95):", failed)
        return 1
    print("\nall detectors at P ≥ 0.95 and R ≥ 0.95 in every scenario")
    return 0


if __name__ == "__main__":
    sys.exit(main())
