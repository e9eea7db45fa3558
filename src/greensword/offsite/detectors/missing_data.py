"""Hours without a valid value — neither ≥ 45 minutes covered by valid samples nor a valid device
hourly value — and without a stop or maintenance mark; long gaps = device offline."""

from datetime import timedelta

from . import HOUR, Finding, thresholds

NAME = "missing_data"


def detect(data, limits, r):
    p = r.missing_data
    out = []
    if not data.series:
        return out
    first_seen = min(x.hour for s in data.series.values() for x in s)
    lo, hi = data.window or (first_seen, max(x.hour for s in data.series.values() for x in s) + HOUR)
    lo = min(lo, first_seen)          # from the baseline window on: a gap across midnight is one gap
    for mn in data.mns:
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
