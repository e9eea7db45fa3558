"""Valid hourly averages over the limit — on the reference-oxygen corrected (折算) value where the
standard requires it — consecutive hours grouped into one episode. Hours flagged F/M/C (start-up,
shut-down, maintenance, calibration) are not valid data and are never judged (标记规则)."""

import numpy as np

from . import episodes, finding

NAME = "exceedance"


def judged(x, ref):
    return x.avg_zs if ref is not None and x.avg_zs is not None else x.avg_value


def judged_col(data, limits):
    """``judged`` for every row of the hourly table (NaN where there is no value)."""
    _lim, ref = data.limit_rows(limits)
    zs = data.col("avg_zs")
    return np.where(~np.isnan(ref) & ~np.isnan(zs), zs, data.col("avg_value"))


def detect(data, limits, r):
    p = r.exceedance
    out = []
    lim, _ref = data.limit_rows(limits)
    for (mn, factor), rows in data.where(data.valid_rows() & (judged_col(data, limits) > lim)):
        limit, ref = limits.get(mn, factor)
        if not limit:
            continue

        def over(x, ref=ref, limit=limit):
            return data.valid(x) and (judged(x, ref) or 0) > limit

        for ep in episodes(rows, over):
            if len(ep) < p.min_hours:
                continue
            peak = max(judged(x, ref) for x in ep)
            basis = "折算" if ref is not None else "实测"
            out.append(finding(NAME, ep, 0.5 + (peak / limit - 1),
                               f"{factor} 连续 {len(ep)} 个有效小时{basis}均值超过限值 {limit:g}，最高 {peak:.2f}"
                               f"（超标 {peak / limit - 1:.0%}）",
                               {"limit": limit, "ref_o2": ref, "min_hours": p.min_hours,
                                "minutes_per_valid_hour": data.min_valid}))
    return out
