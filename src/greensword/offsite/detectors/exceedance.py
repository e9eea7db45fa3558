"""Valid hourly averages over the limit — on the reference-oxygen corrected (折算) value where the
standard requires it — consecutive hours grouped into one episode."""

from . import episodes, finding

NAME = "exceedance"


def _value(r, ref):
    return r.avg_zs if ref is not None and r.avg_zs is not None else r.avg_value


def detect(data, limits, r):
    p = r.exceedance
    out = []
    for (mn, factor), rows in data.series.items():
        limit, ref = limits.get(mn, factor)
        if not limit:
            continue
        def over(x, ref=ref, limit=limit):
            return data.valid(x) and (_value(x, ref) or 0) > limit

        for ep in episodes(rows, over):
            if len(ep) < p["min_hours"]:
                continue
            peak = max(_value(x, ref) for x in ep)
            basis = "折算" if ref is not None else "实测"
            out.append(finding(NAME, ep, min(1.0, 0.5 + (peak / limit - 1)),
                               f"{factor} 连续 {len(ep)} 个有效小时{basis}均值超过限值 {limit:g}，最高 {peak:.2f}"
                               f"（超标 {peak / limit - 1:.0%}）",
                               {"limit": limit, "ref_o2": ref, "min_hours": p["min_hours"],
                                "valid_minutes": data.min_valid}))
    return out
