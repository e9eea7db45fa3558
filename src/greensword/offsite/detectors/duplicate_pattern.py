"""A day's hourly series copied from an earlier day of the same point, or from another point —
exactly, or with small added noise or rounding: the two days differ by far less than the day's
own variation, on at least 20 common valid hours (not an exact-hash match only)."""

import itertools
import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np

from . import FLOW, O2, finding, median, thresholds

NAME = "duplicate_pattern"


def _compare(a: dict, b: dict, p) -> tuple[float, float] | None:
    common = [h for h in a if h in b]
    if len(common) < p.min_common_hours:
        return None
    va = [a[h] for h in common]
    med = median(va)
    spread = median([abs(v - med) for v in va])
    if spread <= 0 or med == 0:
        return None
    d = median([abs(a[h] - b[h]) for h in common])
    return d / abs(med), d / spread


def _key(vec: dict, p) -> tuple[int, int, int]:
    """Coarse signature: level, relative spread and day shape (first half against second half), each
    in buckets wide enough that a noisy copy falls in the same or a neighbouring bucket."""
    vals = list(vec.values())
    med = median(vals)
    spread = median([abs(v - med) for v in vals]) / max(abs(med), 1e-9)
    first = [v for h, v in vec.items() if h < 12]
    second = [v for h, v in vec.items() if h >= 12]
    shape = (sum(first) / len(first)) / max(sum(second) / len(second), 1e-9) if first and second else 1.0
    return (int(math.floor(math.log(max(abs(med), 1e-6)) / p.level_bucket)),
            int(math.floor(math.log(max(spread, 1e-6)) / 0.2)),
            int(math.floor(math.log(max(abs(shape), 1e-6)) / 0.02)))


_NEAR = list(itertools.product((-1, 0, 1), repeat=3))


def _days(data, p) -> dict:
    """(mn, factor, day) → {hour of day: valid hourly mean} for days with enough valid hours."""
    avg = data.col("avg_value")
    skip = data.per_series([f.startswith("e1") or f in FLOW or f == O2 for _mn, f in data.keys])
    idx = np.flatnonzero(data.valid_rows() & ~np.isnan(avg) & ~skip)
    if not len(idx):
        return {}
    hour = data.col("hour")[idx].astype("datetime64[h]").astype(np.int64)
    day, hod = hour // 24, hour % 24
    sid = data.sid[idx]
    cut = np.flatnonzero((np.diff(sid) != 0) | (np.diff(day) != 0)) + 1       # rows are sorted by series, hour
    bounds = np.concatenate([[0], cut, [len(idx)]])
    vals, hods, sids = avg[idx].tolist(), hod.tolist(), sid.tolist()
    epoch = date(1970, 1, 1)
    out = {}
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if b - a >= p.min_common_hours:
            mn, factor = data.keys[sids[a]]
            out[(mn, factor, epoch + timedelta(days=int(day[a])))] = dict(zip(hods[a:b], vals[a:b], strict=True))
    return out


def detect(data, limits, r, seen: dict | None = None):
    """``seen`` ((mn, factor) → {day: {hour: value}}) carries earlier days between windows."""
    p = r.duplicate_pattern
    history = seen if seen is not None else {}
    days_now = _days(data, p)
    # earlier days: from state and from this window's context
    pool: dict = defaultdict(list)            # (factor, bucket) → [(mn, day, vec)]
    for (mn, factor), by_day in history.items():
        for day, vec in by_day.items():
            if (mn, factor, day) not in days_now:
                pool[(factor, _key(vec, p))].append((mn, day, vec))
    keys = {}
    for (mn, factor, day), vec in days_now.items():
        keys[(mn, factor, day)] = k = _key(vec, p)
        pool[(factor, k)].append((mn, day, vec))
    out = []
    for (mn, factor, day), vec in sorted(days_now.items(), key=lambda t: (t[0][2], t[0][0])):
        if data.window and day < data.window[0].date():
            continue
        k = keys[(mn, factor, day)]
        best = None
        for dk in _NEAR:
            for mn2, day2, vec2 in pool.get((factor, (k[0] + dk[0], k[1] + dk[1], k[2] + dk[2])), []):
                if (day2, mn2) >= (day, mn):              # compare with what came earlier only
                    continue
                c = _compare(vec, vec2, p)
                if c and c[0] <= p.max_rel_diff and c[1] <= p.max_spread_ratio and (best is None or c < best[0]):
                    best = (c, mn2, day2)
        if best is None:
            continue
        (rel, ratio), mn2, day2 = best
        rows = [x for x in data.series[(mn, factor)] if x.hour.date() == day and data.valid(x)]
        where = "该点" if mn2 == mn else f"监测点 {mn2} "
        out.append(finding(NAME, rows, 0.95 - rel, f"{factor} {day} 的小时序列与{where}{day2} 几乎相同"
                                                    f"（中位差 {rel:.2%}，仅为当日自身波动的 {ratio:.0%}），疑似复制数据",
                           thresholds(p, "min_common_hours", "max_rel_diff", "max_spread_ratio")))
    if seen is not None:
        for (mn, factor, day), vec in days_now.items():
            by_day = history.setdefault((mn, factor), {})
            by_day[day] = vec
            for old in sorted(by_day)[:-p.history_days]:
                del by_day[old]
    return out
