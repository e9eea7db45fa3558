"""Hourly values held in a narrow band just below the limit for most of a day, flatter than any
real process."""

import statistics
from collections import defaultdict

from . import finding

NAME = "near_limit"


def detect(data, limits, r):
    p = r.near_limit
    lo, hi = p["band"]
    out = []
    for (mn, factor), rows in data.series.items():
        limit, ref = limits.get(mn, factor)
        if not limit:
            continue
        days = defaultdict(list)
        for x in rows:
            if data.valid(x):
                days[x.hour.date()].append(x)
        for _, valid in sorted(days.items()):
            vals = [(x, x.avg_zs if ref is not None and x.avg_zs is not None else x.avg_value) for x in valid]
            band = [(x, v) for x, v in vals if v is not None and lo * limit <= v < hi * limit]
            if len(band) < p["min_hours"] or len(band) / len(valid) < p["min_share"]:
                continue
            vs = [v for _, v in band]
            cv = statistics.pstdev(vs) / statistics.mean(vs)
            if cv > p["max_cv"]:
                continue
            hours = [x for x, _ in band]
            out.append(finding(NAME, hours, min(1.0, 0.5 + len(band) / len(valid) / 2),
                               f"{factor} 当日 {len(band)}/{len(valid)} 个有效小时均值落在限值 {limit:g} 的 "
                               f"{lo:.0%}–{hi:.0%} 之间，变异系数 {cv:.3f}，异常贴近限值",
                               {"band": p["band"], "min_hours": p["min_hours"], "min_share": p["min_share"],
                                "max_cv": p["max_cv"], "limit": limit}))
    return out
