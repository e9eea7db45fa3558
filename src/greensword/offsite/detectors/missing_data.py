"""Hours without a valid value — neither ≥ 45 minutes covered by valid samples nor a valid device
hourly value — and without a stop or maintenance mark; long gaps = device offline."""

from datetime import timedelta

import numpy as np

from . import HOUR, Finding, thresholds

NAME = "missing_data"


def _candidates(data, lo, hi) -> list[str]:
    """Points with at least one hour in [max(lo, first data), hi) that is neither valid nor marked
    stop/maintenance on any factor (column test; only these points are walked hour by hour)."""
    names, mn_of = data.mn_rows()
    hours = data.col("hour").astype("datetime64[h]").astype(np.int64)
    if not len(hours):
        return []
    first = np.full(len(names), np.iinfo(np.int64).max)
    np.minimum.at(first, mn_of, hours)
    lo_h, hi_h = (np.datetime64(t, "us") for t in (lo, hi))
    if lo_h != lo_h.astype("datetime64[h]") or hi_h != hi_h.astype("datetime64[h]"):
        return list(data.mns)                                # not on the hour: walk every point
    start = np.maximum(first, lo_h.astype("datetime64[h]").astype(np.int64))
    end = hi_h.astype("datetime64[h]").astype(np.int64)
    good = data.valid_rows() | (data.col("n_stop") > 0) | (data.col("n_maint") > 0)
    span = int(hours.max() - hours.min()) + 1
    pairs = np.unique(mn_of[good] * span + (hours[good] - hours.min()))     # distinct (point, good hour)
    mn_i, h = pairs // span, pairs % span + hours.min()
    inside = (h >= start[mn_i]) & (h < end)
    covered = np.bincount(mn_i[inside], minlength=len(names))
    gaps = {names[i] for i in np.flatnonzero(covered < np.maximum(end - start, 0))}
    return [mn for mn in data.mns if mn in gaps]


def detect(data, limits, r):
    p = r.missing_data
    out = []
    if not data.series:
        return out
    hours = data.col("hour")
    first_seen = hours.min().astype("datetime64[us]").item()
    lo, hi = data.window or (first_seen, hours.max().astype("datetime64[us]").item() + HOUR)
    lo = min(lo, first_seen)          # from the baseline window on: a gap across midnight is one gap
    for mn in _candidates(data, lo, hi):
        ok, excused, seen = set(), set(), set()
        for f in data.factors(mn):
            for x in data.series[(mn, f)]:
                seen.add(x.hour)
                if data.valid(x):
                    ok.add(x.hour)
                if x.n_stop or x.n_maint:
                    excused.add(x.hour)
        first = min(seen)
        run: list = []
        h = max(lo, first.replace(minute=0))      # a point is judged from its first data on
        while h <= hi:
            bad = h < hi and h not in ok and h not in excused
            if bad:
                run.append(h)
            else:
                if len(run) >= p.min_hours and (data.window is None or run[-1] >= data.window[0]):
                    n = len(run)
                    text = (f"设备离线 {n} 小时（无任何有效数据）" if n >= 24 else
                            f"连续 {n} 小时无有效数据（有效分钟覆盖不足 {data.min_valid} 分钟且无设备小时值），且无停运/维护标记")
                    out.append(Finding(mn, "*", NAME, run[0], run[-1] + HOUR, min(1.0, 0.5 + n / 48), text,
                                       thresholds(p, "min_hours") | {"minutes_per_valid_hour": data.min_valid},
                                       [{"hour": x.isoformat(), "valid": False, "stop_or_maintenance": False}
                                        for x in run[:48]]))
                run = []
            h += timedelta(hours=1)
    return out
