"""Maintenance / calibration / fault marks abused: more marked hours in a day than the rules allow,
or marks laid over hours whose raw values stay above the limit throughout (a real calibration
shows zero/span readings, real maintenance shows no emission reading at all)."""

from collections import defaultdict

import numpy as np

from . import episodes, finding, num, thresholds

NAME = "flag_abuse"


def _marked(x):
    return x.n_total and x.n_maint * 2 >= x.n_total


def _candidates(data, limits, p) -> list[str]:
    """Points with a day of more marked hours than allowed, or a wholly marked hour whose raw
    level is over the limit (column tests; the rows of these points are then read)."""
    n_total, n_maint = data.col("n_total"), data.col("n_maint")
    marked = (n_total > 0) & (n_maint * 2 >= n_total) & data.window_rows()
    names, mn_of = data.mn_rows()
    hours = data.col("hour")[marked].astype("datetime64[h]").astype(np.int64)
    busy = set()
    if len(hours):
        h0 = hours.min() - hours.min() % 24
        span = int(hours.max() - h0) + 1
        pairs = np.unique(mn_of[marked] * span + (hours - h0))             # distinct (point, hour)
        days, counts = np.unique((pairs // span) * span + (pairs % span) // 24, return_counts=True)
        busy = {names[i] for i in (days[counts > p.max_hours_per_day] // span).tolist()}
    lim, _ref = data.limit_rows(limits)
    bar = p.covering_ratio * lim
    with np.errstate(invalid="ignore"):
        cover = (marked & (n_maint >= n_total) & (lim != 0) & ~np.isnan(lim)
                 & ((data.col("avg_raw") > bar) | (data.col("avg_zs_raw") > bar) | (bar < 0)))
    hit = busy | {names[i] for i in np.unique(mn_of[cover])}
    return [mn for mn in data.mns if mn in hit]


def detect(data, limits, r):
    p = r.flag_abuse
    out = []
    for mn in _candidates(data, limits, p):
        flagged: dict = defaultdict(list)        # hour → rows of this mn mostly flagged M/C/D
        for f in data.factors(mn):
            for x in data.series[(mn, f)]:
                if _marked(x) and data.in_window(x):
                    flagged[x.hour].append(x)
        by_day = defaultdict(list)
        for h in sorted(flagged):
            by_day[h.date()].append(flagged[h][0])
        for day, rows in sorted(by_day.items()):
            covering = []                                # marks laid over an exceedance: judged on every day
            for x in rows:
                for y in flagged[x.hour]:
                    limit, ref = limits.get(mn, y.factor)
                    level, low = y.avg_raw or 0, y.min_raw or 0
                    if ref is not None and y.avg_zs_raw is not None and level > 0:   # 折算 where the limit is
                        level, low = y.avg_zs_raw, low * y.avg_zs_raw / level
                    if (limit and y.n_maint >= y.n_total and level > p.covering_ratio * limit
                            and low > p.covering_min_share_of_limit * limit):
                        covering.append(y)
                        break
            for ep in episodes(covering, lambda _: True):
                out.append(finding(NAME, ep, 0.8, f"{ep[0].factor} 标记为维护/校准/故障的时段原始值始终高于限值"
                                                  f"（均值最高 {num(max(y.avg_zs_raw or y.avg_raw for y in ep))}），疑似以标记掩盖超标",
                                   thresholds(p, "covering_ratio", "covering_min_share_of_limit")))
            # the daily count: hours already found covering an exceedance are their own finding, and
            # the day's routine zero/span check (one isolated marked hour) is not counted
            hidden = {y.hour for y in covering}
            rest = [x for x in rows if x.hour not in hidden]
            runs = episodes(rest, lambda _: True)
            routine = min(p.routine_calibration_hours, sum(1 for ep in runs if len(ep) == 1))
            if len(rest) - routine > p.max_hours_per_day:
                for ep in [max(runs, key=len)]:          # the long run, not the day's routine checks
                    out.append(finding(NAME, ep, 0.5 + len(rest) / 24,
                                       f"{day} 有 {len(rest)} 个小时标记为维护/校准/故障"
                                       f"（例行校准 {routine} 小时不计），超过每日 {p.max_hours_per_day} 小时",
                                       thresholds(p, "max_hours_per_day", "routine_calibration_hours")))
    return out
