"""A factor's minute values constant (range below instrument noise) for hours while running."""

from . import episodes, finding

NAME = "flatline"


def detect(data, limits, r):
    p = r.flatline
    out = []
    for (_mn, factor), rows in data.series.items():
        if factor.startswith("e1"):          # power meters may legitimately read flat
            continue

        def flat(x):
            if not data.valid(x) or x.n_stop or x.avg_value is None or x.max_value is None:
                return False
            return (x.max_value - x.min_value) <= p["max_range_ratio"] * max(abs(x.avg_value), 1e-9)

        for ep in episodes(rows, flat):
            if len(ep) >= p["min_hours"]:
                out.append(finding(NAME, ep, min(1.0, 0.6 + 0.05 * (len(ep) - p["min_hours"])),
                                   f"{factor} 连续 {len(ep)} 小时数值几乎不变（约 {ep[0].avg_value:.3f}），"
                                   "与仪器正常波动不符", {k: p[k] for k in ("min_hours", "max_range_ratio")}))
    return out
