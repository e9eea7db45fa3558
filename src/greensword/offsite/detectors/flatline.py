"""A factor's values constant while the source runs: each hour's samples (or the device's hourly
min/max) and the run's hourly means within instrument noise, for hours — where the point's own
readings usually vary far more (a naturally flat, quantised signal is not a finding)."""

import numpy as np

from . import FLOW, episodes, finding, mean, median, num, thresholds

NAME = "flatline"


def _spread(x, floor):
    if x.avg_value is None or x.max_value is None or x.min_value is None:
        return None
    if x.source != "hour" and x.n_valid < 3:
        return None
    return (x.max_value - x.min_value) / max(abs(x.avg_value), floor)


def detect(data, limits, r):
    p = r.flatline
    out = []
    avg, hi, lo = data.col("avg_value"), data.col("max_value"), data.col("min_value")
    unknown = (np.isnan(avg) | np.isnan(hi) | np.isnan(lo)
               | ((data.col("source") != "hour") & (data.col("n_valid") < 3)))
    with np.errstate(invalid="ignore"):
        flat = ((data.col("n_stop") == 0) & ~np.isnan(avg) & data.valid_rows()
                & (unknown | ((hi - lo) / np.maximum(np.abs(avg), p.abs_floor) <= p.max_range_ratio)))
    for (mn, factor), rows in data.where(flat, min_count=p.min_hours):
        if factor.startswith("e1") or factor in FLOW:   # power meters and flow may legitimately read flat
            continue
        spread = {x.hour: _spread(x, p.abs_floor) for x in rows if data.valid(x)}
        known = [s for s in spread.values() if s is not None]
        if known and len(known) == len(spread) and min(known) > p.max_range_ratio:
            continue                                     # no hour flat enough: nothing to look at
        if len(known) >= 6 and median(known) < p.normal_range_multiple * p.max_range_ratio:
            continue                                     # this instrument's readings are always this flat
        flow, flow_med = data.flow(mn)

        def flat(x, flow=flow, flow_med=flow_med, spread=spread):
            if not data.valid(x) or x.n_stop or x.avg_value is None:
                return False
            if flow_med and flow.get(x.hour, flow_med) < 0.1 * flow_med:
                return False                             # not running: a stop, not a frozen reading
            s = spread.get(x.hour)
            return s is None or s <= p.max_range_ratio

        for ep in episodes(rows, flat):
            if len(ep) < p.min_hours:
                continue
            means = [x.avg_value for x in ep]
            level = max(abs(mean(means)), p.abs_floor)
            if (max(means) - min(means)) > p.max_range_ratio * level:
                continue
            out.append(finding(NAME, ep, 0.6 + 0.05 * (len(ep) - p.min_hours),
                               f"{factor} 连续 {len(ep)} 小时数值几乎不变（约 {num(ep[0].avg_value, 3)}），"
                               "与该点平时的波动不符", thresholds(p, "min_hours", "max_range_ratio")))
    return out
