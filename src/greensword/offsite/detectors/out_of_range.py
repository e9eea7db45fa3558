"""Values impossible for the instrument or the factor (negative concentrations, pH outside 0–14,
O2 outside 0–21 %)."""

from . import episodes, finding

NAME = "out_of_range"


def detect(data, limits, r):
    out = []
    for (_mn, factor), rows in data.series.items():
        for ep in episodes(rows, lambda x: x.n_out > 0):
            out.append(finding(NAME, ep, 0.9, f"{factor} 有 {sum(x.n_out for x in ep)} 个分钟值超出物理可能范围",
                               {"ranges": r.out_of_range["ranges"], "default_min": r.out_of_range["default_min"]}))
    return out
