"""Hours without a valid value and without a stop or maintenance mark; long gaps = device offline."""

from datetime import timedelta

from . import HOUR, Finding

NAME = "missing_data"


def detect(data, limits, r, *, window=None):
    p = r.missing_data
    out = []
    if not data.series:
        return out
    all_hours = [x.hour for rows in data.series.values() for x in rows]
    lo, hi = window or (min(all_hours), max(all_hours) + HOUR)
    for mn in data.mns:
        ok, excused = set(), set()
        for f in data.factors(mn):
            for x in data.series[(mn, f)]:
                if data.valid(x):
                    ok.add(x.hour)
                if x.n_stop or x.n_maint:
                    excused.add(x.hour)
        run = []
        h = lo
        while h <= hi:
            bad = h < hi and h not in ok and h not in excused
            if bad:
                run.append(h)
            else:
                if len(run) >= p["min_hours"]:
                    n = len(run)
                    text = (f"设备离线 {n} 小时（无任何数据）" if n >= 24 else f"连续 {n} 小时无有效数据且无停运/维护标记")
                    out.append(Finding(mn, "*", NAME, run[0], run[-1] + HOUR, min(1.0, 0.5 + n / 48), text,
                                       {"min_hours": p["min_hours"], "minutes_per_valid_hour": data.min_valid},
                                       [{"hour": x.isoformat(), "n_valid": 0, "stop_or_maintenance": False}
                                        for x in run[:48]]))
                run = []
            h += timedelta(hours=1)
    return out
