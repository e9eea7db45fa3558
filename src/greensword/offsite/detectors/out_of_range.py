"""Values impossible for the instrument or the factor (negative concentrations, pH outside 0–14,
O2 outside 0–21 %, a concentration far beyond any configured range): one sample is a finding.
Calibration and maintenance samples are not readings of the source and are not judged."""

from . import episodes, finding, num, thresholds

NAME = "out_of_range"


def detect(data, limits, r):
    p = r.out_of_range
    out = []
    for (_mn, factor), rows in data.where(data.col("n_out") > 0):
        for ep in episodes(rows, lambda x: x.n_out > 0):
            lo = min((x.min_raw for x in ep if x.min_raw is not None), default=None)
            hi = max((x.max_raw for x in ep if x.max_raw is not None), default=None)
            out.append(finding(NAME, ep, 0.9, f"{factor} 有 {sum(x.n_out for x in ep)} 个数据超出物理可能范围"
                                              f"（最低 {num(lo, 3)}，最高 {num(hi, 3)}）",
                               thresholds(p, "ranges", "default_min", "limit_multiple", "ignore_flags")))
    return out
