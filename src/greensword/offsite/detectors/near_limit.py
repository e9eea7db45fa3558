"""Hourly values held in a narrow band just below the limit for most of a day, flatter than any
real process (a plant genuinely running close to its limit still varies hour to hour). The
flatness is measured over all the day's valid hours, and against the point's own usual daily
variation (earlier days read from the lake: rules ``screening.baseline_hours``)."""

from collections import defaultdict

from . import cv, finding, median, num, thresholds
from .exceedance import judged, judged_col

NAME = "near_limit"


def detect(data, limits, r):
    p = r.near_limit
    lo, hi = p.band
    out = []
    lim, _ref = data.limit_rows(limits)
    v = judged_col(data, limits)
    in_band = data.valid_rows() & data.window_rows() & (lo * lim <= v) & (v < hi * lim)
    for (mn, factor), rows in data.where(in_band, min_count=p.min_hours):
        limit, ref = limits.get(mn, factor)
        if not limit:
            continue
        days = defaultdict(list)
        for x in rows:
            if data.valid(x) and data.in_window(x):
                days[x.hour.date()].append(x)
        usual_cvs = None
        for day, valid in sorted(days.items()):
            vals = [(x, judged(x, ref)) for x in valid]
            band = [(x, v) for x, v in vals if v is not None and lo * limit <= v < hi * limit]
            if len(band) < p.min_hours or len(band) / len(valid) < p.min_share:
                continue
            # the variation of the whole day, not only of the hours inside the band: a genuine plant
            # that dips below the band is not flat, however narrow its in-band hours happen to be
            day_cv = cv([v for _, v in vals if v is not None])
            if day_cv > p.max_cv:
                continue
            if usual_cvs is None:                       # the point's own daily variation, computed when needed
                per_day: dict = {}
                for x in rows:
                    if data.valid(x) and judged(x, ref) is not None:
                        per_day.setdefault(x.hour.date(), []).append(judged(x, ref))
                usual_cvs = {d: cv(v) for d, v in per_day.items() if len(v) >= p.min_hours}
            others = [c for d, c in usual_cvs.items() if d != day]
            usual = median(others) if others else None
            if usual is not None and day_cv > p.own_cv_ratio * usual:
                continue
            hours = [x for x, _ in band]
            out.append(finding(NAME, hours, 0.5 + len(band) / len(valid) / 2,
                               f"{factor} 当日 {len(band)}/{len(valid)} 个有效小时均值落在限值 {num(limit, 3)} 的 "
                               f"{lo:.0%}–{hi:.0%} 之间，变异系数仅 {day_cv:.3f}，异常平稳地贴近限值",
                               thresholds(p, "band", "min_hours", "min_share", "max_cv", "own_cv_ratio")
                               | {"limit": limit, "own_usual_cv": round(usual, 4) if usual is not None else None}))
    return out
