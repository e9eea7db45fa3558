"""Valid hourly averages over the limit — on the reference-oxygen corrected (折算) value where the
standard requires it — consecutive hours grouped into one episode. Hours marked F/M/C (start-up,
shut-down, maintenance, calibration) are not valid data and are not judged (标记规则) — except
where the point's emission standard caps the marked hours that may emit over the limit in one
start-up/shut-down/fault episode (rules ``exceedance.by_standard``, e.g. GB 18485-2014: 4 hours):
marked hours over the limit beyond that cap are judged on all their samples. A marked hour is never
a finding by itself: only values over the limit beyond the standard's allowance are."""

import numpy as np

from . import episodes, finding, num

NAME = "exceedance"


def judged(x, ref):
    return x.avg_zs if ref is not None and x.avg_zs is not None else x.avg_value


def judged_all(x, ref):
    """The hour's value over all its samples, marked ones too (corrected where the limit is)."""
    return x.avg_zs_raw if ref is not None and x.avg_zs_raw is not None else x.avg_raw


def _beyond_allowance(rows, limit, ref, cap: int) -> list:
    """Marked (停运/启停) hours emitting over the limit, beyond the first ``cap`` of their episode."""
    def marked(x):
        return x.n_total > 0 and x.n_stop * 2 >= x.n_total

    out = []
    for ep in episodes(rows, marked):
        over = [x for x in ep if (judged_all(x, ref) or 0) > limit]
        out.extend(over[cap:])
    return out


def judged_col(data, limits):
    """``judged`` for every row of the hourly table (NaN where there is no value)."""
    _lim, ref = data.limit_rows(limits)
    zs = data.col("avg_zs")
    return np.where(~np.isnan(ref) & ~np.isnan(zs), zs, data.col("avg_value"))


def detect(data, limits, r):
    p = r.exceedance
    out = []
    lim, ref_col = data.limit_rows(limits)
    mask = data.valid_rows() & (judged_col(data, limits) > lim)
    capped = [p.policy(limits.standard(mn, f)).capped_flags for mn, f in data.keys]
    if any(capped):                 # marked hours over the limit, on points whose standard caps them
        zs_raw = data.col("avg_zs_raw")
        all_samples = np.where(~np.isnan(ref_col) & ~np.isnan(zs_raw), zs_raw, data.col("avg_raw"))
        marked = (data.col("n_total") > 0) & (data.col("n_stop") * 2 >= data.col("n_total"))
        mask = mask | (data.per_series(np.array([bool(c) for c in capped])) & marked & (all_samples > lim))
    for (mn, factor), rows in data.where(mask):
        limit, ref = limits.get(mn, factor)
        if not limit:
            continue
        basis = "折算" if ref is not None else "实测"

        def over(x, ref=ref, limit=limit):
            return data.valid(x) and (judged(x, ref) or 0) > limit

        for ep in episodes(rows, over):
            if len(ep) < p.min_hours:
                continue
            peak = max(judged(x, ref) for x in ep)
            out.append(finding(NAME, ep, 0.5 + (peak / limit - 1),
                               f"{factor} 连续 {len(ep)} 个有效小时{basis}均值超过限值 {num(limit, 3)}，最高 {num(peak)}"
                               f"（超标 {peak / limit - 1:.0%}）",
                               {"limit": limit, "ref_o2": ref, "min_hours": p.min_hours,
                                "minutes_per_valid_hour": data.min_valid}))
        policy = p.policy(limits.standard(mn, factor))
        if policy.capped_flags and policy.max_capped_hours is not None:
            beyond = _beyond_allowance(rows, limit, ref, policy.max_capped_hours)
            for ep in episodes(beyond, lambda _: True):
                peak = max(judged_all(x, ref) for x in ep)
                out.append(finding(NAME, ep, 0.5 + (peak / limit - 1),
                                   f"{factor} 标记为启停炉/停运的时段内{basis}均值超过限值 {num(limit, 3)} 的小时已超过"
                                   f"{policy.standard} 允许的每次 {policy.max_capped_hours} 小时，其后 {len(ep)} 小时计为超标，"
                                   f"最高 {num(peak)}（超标 {peak / limit - 1:.0%}）",
                                   {"limit": limit, "ref_o2": ref, "standard": policy.standard,
                                    "capped_flags": policy.capped_flags, "max_capped_hours": policy.max_capped_hours}))
    return out
