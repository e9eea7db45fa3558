"""Labelled monitoring data for tests and benchmarks: minute data for a set of points with daily
cycles and noise, legitimate events (announced maintenance, real shut-downs with power off and a
start-up ramp), and injected violations of every detector's kind, each with a label.

Gas points carry SO2/NOx/dust with reference-oxygen correction, O2, flow, and the enterprise's
power-use monitoring (e10001 production line, e10002 treatment facility) on the same MN; water
points carry COD, NH3-N, pH and flow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..hj212 import lake
from .hourly import Limits

GAS = {"a21026": (14.0, 35.0), "a21002": (22.0, 50.0), "a34013": (4.0, 10.0)}   # base, limit (折算)
WATER = {"w01018": (22.0, 50.0), "w21003": (2.0, 5.0)}
KINDS = ["exceedance", "flatline", "near_limit", "sudden_drop", "flag_abuse", "missing_data", "o2_dilution",
         "duplicate_pattern", "out_of_range", "power_mismatch"]
MIN = 1440


@dataclass
class Point:
    mn: str
    kind: str
    ref_o2: float | None
    limits: dict[str, float] = field(default_factory=dict)      # concentration factors with a limit
    series: dict[str, np.ndarray] = field(default_factory=dict)
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    present: np.ndarray | None = None
    busy_days: set[int] = field(default_factory=set)


def _cycle(n: int, rng, base: float, noise: float) -> np.ndarray:
    t = np.arange(n)
    day = 1 + 0.15 * np.sin(2 * np.pi * (t % MIN) / MIN + rng.uniform(0, 6.28))
    slow = 1 + 0.05 * np.sin(2 * np.pi * t / (MIN * 7) + rng.uniform(0, 6.28))
    return base * day * slow * (1 + rng.normal(0, noise, n))


def make_points(n: int, days: int, rng, prefix: str = "GEN", specs: list[tuple] | None = None) -> list[Point]:
    """Synthetic points, or ``specs`` = [(mn, kind, {factor: limit}, ref_o2)] from a registry."""
    pts = []
    m = days * MIN
    if specs is None:
        specs = []
        for i in range(n):
            gas = i % 3 != 2
            table = GAS if gas else WATER
            specs.append((f"{prefix}{'G' if gas else 'W'}{i:019d}"[:24], "gas" if gas else "water",
                          {c: lim for c, (_, lim) in table.items()}, 6.0 if gas else None))
    for mn, kind, limits, ref in specs:
        p = Point(mn, kind, ref, dict(limits))
        p.present = np.ones(m, dtype=bool)
        for code, limit in limits.items():
            p.series[code] = _cycle(m, rng, limit * rng.uniform(0.32, 0.48), 0.04 if kind == "gas" else 0.05)
        if kind == "gas":
            p.series["a19001"] = 9.0 + rng.normal(0, 0.25, m)
            p.series["a00000"] = _cycle(m, rng, 60.0, 0.03)
            p.series["e10001"] = _cycle(m, rng, 300.0, 0.05)
            p.series["e10002"] = _cycle(m, rng, 60.0, 0.05)
        else:
            p.series["w01001"] = 7.2 + rng.normal(0, 0.05, m)
            p.series["w00000"] = _cycle(m, rng, 12.0, 0.04)
        for code in p.series:
            p.flags[code] = np.full(m, "N", dtype=object)
        pts.append(p)
    return pts


def _legit(points: list[Point], days: int, rng) -> None:
    """Announced maintenance (2 h, once a week, values normal) and real shut-downs."""
    for i, p in enumerate(points):
        for week_start in range(0, days, 7):
            d = week_start + min(2, days - 1 - week_start)
            s = d * MIN + 10 * 60
            for code in p.flags:
                p.flags[code][s:s + 120] = "M"
            p.busy_days.add(d)
        if i % 4 == 0 and days >= 3:
            d = 1
            s, e = d * MIN, d * MIN + 10 * 60
            for code in p.series:
                if code in ("a19001",):
                    p.series[code][s:e] = 20.9
                elif code.startswith("e1") or code in ("a00000", "w00000"):
                    p.series[code][s:e] = rng.uniform(0, 1, e - s)
                else:
                    p.series[code][s:e] *= 0.05
                p.flags[code][s:e] = "F"
            ramp = np.linspace(0.05, 1.0, 120)                # start-up: two hours back to normal
            for code in p.series:
                if code not in ("a19001", "w01001"):
                    p.series[code][e:e + 120] *= ramp
            p.busy_days.update({d, d + 1})


def _pick(points, days, rng, used, kind, need_gas=False, need_days=1):
    for _ in range(1000):
        p = points[rng.integers(len(points))]
        if need_gas and p.kind != "gas":
            continue
        d = int(rng.integers(max(1, days - need_days + 1)))
        if kind in ("duplicate_pattern", "sudden_drop") and d == 0:      # both need an earlier day
            continue
        span = set(range(d, d + need_days))
        if span & p.busy_days or any((p.mn, x) in used for x in span):
            continue
        used.update((p.mn, x) for x in span)
        p.busy_days |= span
        return p, d
    raise RuntimeError("no free point-day left to inject into; use more points or days")


def _label(labels, p, factor, kind, d0, s, e):
    labels.append({"mn": p.mn, "factor": factor, "detector": kind,
                   "start": (d0 + timedelta(minutes=int(s))).isoformat(),
                   "end": (d0 + timedelta(minutes=int(e))).isoformat()})


def inject(points: list[Point], days: int, counts: dict[str, int], rng, day0: datetime) -> list[dict]:
    labels: list[dict] = []
    used: set = set()
    for kind in KINDS:
        for _ in range(counts.get(kind, 0)):
            gas_only = kind in ("o2_dilution", "power_mismatch")
            p, d = _pick(points, days, rng, used, kind, need_gas=gas_only)
            factor = list(p.limits)[int(rng.integers(len(p.limits)))]
            limit = p.limits[factor]
            h = int(rng.integers(2, 17))
            s = d * MIN + h * 60
            if kind == "exceedance":
                n = int(rng.integers(3, 7)) * 60
                target = limit * rng.uniform(1.4, 2.5)
                _set_conc(p, factor, s, s + n, target, rng)
                _label(labels, p, factor, kind, day0, s, s + n)
            elif kind == "flatline":
                n = int(rng.integers(6, 10)) * 60
                p.series[factor][s:s + n] = round(float(p.series[factor][s]), 3)
                if p.ref_o2 is not None:
                    p.series["a19001"][s:s + n] = float(np.round(p.series["a19001"][s], 1))
                _label(labels, p, factor, kind, day0, s, s + n)
            elif kind == "near_limit":
                ds, de = d * MIN, (d + 1) * MIN
                target = limit * rng.uniform(0.93, 0.97)
                _set_conc(p, factor, ds, de, target, rng, noise=0.004)
                _label(labels, p, factor, kind, day0, ds, de)
            elif kind == "sudden_drop":
                n = int(rng.integers(3, 6)) * 60
                p.series[factor][s:s + n] *= 0.03
                _label(labels, p, factor, kind, day0, s, s + n)
            elif kind == "flag_abuse":
                n = int(rng.integers(6, 9)) * 60
                for code in p.flags:
                    p.flags[code][s:s + n] = "M"
                _label(labels, p, "*", kind, day0, s, s + n)
            elif kind == "missing_data":
                n = int(rng.integers(4, 8)) * 60
                p.present[s:s + n] = False
                _label(labels, p, "*", kind, day0, s, s + n)
            elif kind == "o2_dilution":
                n = int(rng.integers(3, 6)) * 60
                if rng.random() < 0.5:
                    o2 = rng.uniform(19.5, 20.2)
                    scale = (21 - o2) / (21 - float(np.mean(p.series["a19001"][s:s + n])))
                    p.series["a19001"][s:s + n] = o2 + rng.normal(0, 0.05, n)
                    for code in p.limits:
                        p.series[code][s:s + n] *= scale
                    _label(labels, p, "a19001", kind, day0, s, s + n)
                else:
                    p.series.setdefault(f"{factor}#zsbad", np.zeros(days * MIN))[s:s + n] = 1
                    _label(labels, p, factor, kind, day0, s, s + n)
            elif kind == "duplicate_pattern":
                src = int(rng.integers(0, d))
                p.series[factor][d * MIN:(d + 1) * MIN] = p.series[factor][src * MIN:(src + 1) * MIN]
                p.flags[factor][d * MIN:(d + 1) * MIN] = p.flags[factor][src * MIN:(src + 1) * MIN]
                if p.flags[factor][d * MIN:(d + 1) * MIN].tolist().count("N") < 20 * 60:
                    continue
                _label(labels, p, factor, kind, day0, d * MIN, (d + 1) * MIN)
            elif kind == "out_of_range":
                n = int(rng.integers(1, 3)) * 60
                if p.kind == "water" and rng.random() < 0.5:
                    factor = "w01001"
                    p.series[factor][s:s + n] = rng.uniform(14.5, 16, n)
                else:
                    p.series[factor][s:s + n] = -rng.uniform(0.5, 3, n)
                _label(labels, p, factor, kind, day0, s, s + n)
            elif kind == "power_mismatch":
                n = int(rng.integers(3, 6)) * 60
                p.series["e10002"][s:s + n] = rng.uniform(0, 1, n)
                _label(labels, p, "e10002", kind, day0, s, s + n)
    return labels


def _set_conc(p: Point, factor: str, s: int, e: int, target: float, rng, noise: float = 0.03) -> None:
    """Make the (corrected, for gas) concentration about ``target`` over [s, e)."""
    vals = target * (1 + rng.normal(0, noise, e - s))
    if p.ref_o2 is not None:
        o2 = p.series["a19001"][s:e]
        vals = vals * (21 - o2) / (21 - p.ref_o2)          # raw that corrects to target
    p.series[factor][s:e] = vals


def limits_for(points: list[Point]) -> Limits:
    table: dict = {}
    for p in points:
        table[p.mn] = {c: (lim, p.ref_o2) for c, lim in p.limits.items()}
        if p.kind == "gas":
            table[p.mn]["a19001"] = (None, None)
    return Limits(table)


def to_table(points: list[Point], day0: datetime) -> pa.Table:
    cols: dict[str, list] = {k: [] for k in ("mn", "factor", "data_time", "value", "zs_value", "flag")}
    for p in points:
        m = len(p.present)
        times = (np.datetime64(day0, "us") + np.arange(m) * np.timedelta64(60, "s"))[p.present]
        for code, vals in p.series.items():
            if "#" in code:
                continue
            v = np.round(vals[p.present], 3)
            if p.ref_o2 is not None and code in p.limits:
                o2 = np.minimum(p.series["a19001"][p.present], 20.5)
                zs = v * (21 - p.ref_o2) / (21 - o2)
                bad = p.series.get(f"{code}#zsbad")
                if bad is not None:
                    zs = np.where(bad[p.present] > 0, zs * 0.6, zs)
                zs = np.round(zs, 3)
            else:
                zs = np.full(len(v), np.nan)
            n = len(v)
            idx = pa.array(np.zeros(n, dtype=np.int32))
            cols["mn"].append(pa.array([p.mn], pa.string()).take(idx))
            cols["factor"].append(pa.array([code], pa.string()).take(idx))
            cols["data_time"].append(pa.array(times, pa.timestamp("us")))
            cols["value"].append(pa.array(v, pa.float64()))
            cols["zs_value"].append(pa.array(zs, pa.float64(), from_pandas=True))
            cols["flag"].append(pa.array(p.flags[code][p.present], pa.string()))
    arrays = {k: pa.concat_arrays(v) if v else pa.array([], t) for (k, v), t in zip(
        cols.items(), [pa.string(), pa.string(), pa.timestamp("us"), pa.float64(), pa.float64(), pa.string()],
        strict=True)}
    n = len(arrays["mn"])
    full = {}
    for f in lake.SCHEMA:
        if f.name in arrays:
            full[f.name] = arrays[f.name]
        elif f.name == "kind":
            full[f.name] = pa.array(["minute"] * n, pa.string())
        elif f.name == "received_at":
            full[f.name] = arrays["data_time"]
        elif f.name == "backfill":
            full[f.name] = pa.array([False] * n, pa.bool_())
        elif f.name == "edition":
            full[f.name] = pa.array(["2017"] * n, pa.string())
        elif f.name == "cn":
            full[f.name] = pa.array(["2051"] * n, pa.string())
        else:
            full[f.name] = pa.nulls(n, f.type)
    return pa.table(full, schema=lake.SCHEMA)


def generate(root: Path, *, points: int, days: int, start: date, seed: int, counts: dict[str, int],
             prefix: str = "GEN", label_file: Path | None = None, specs: list[tuple] | None = None
             ) -> tuple[list[Point], list[dict], Limits]:
    rng = np.random.default_rng(seed)
    day0 = datetime.combine(start, datetime.min.time())
    pts = make_points(points, days, rng, prefix, specs)
    _legit(pts, days, rng)
    labels = inject(pts, days, counts, rng, day0)
    lake.write_rows(root, to_table(pts, day0), prefix=f"gen{seed}")
    if label_file is not None:
        label_file.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels), encoding="utf-8")
    return pts, labels, limits_for(pts)


def parse_inject(spec: str) -> dict[str, int]:
    """'exceedance=3,flatline=2' or 'all=2'."""
    out: dict[str, int] = {}
    for part in filter(None, (s.strip() for s in spec.split(","))):
        k, _, v = part.partition("=")
        n = int(v or 1)
        if k == "all":
            out.update({x: n for x in KINDS})
        elif k in KINDS:
            out[k] = n
        else:
            raise ValueError(f"未知的检测器 {k}（可选：{', '.join(KINDS)}，或 all）")
    return out
