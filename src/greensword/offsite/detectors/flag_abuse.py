"""Maintenance / calibration / fault marks far above normal in a day, or covering exactly the
hours whose raw values exceed the limit."""

from collections import defaultdict

from . import episodes, finding

NAME = "flag_abuse"


def detect(data, limits, r):
    p = r.flag_abuse
    out = []
    for mn in data.mns:
        flagged: dict = defaultdict(list)        # hour → rows of this mn with mostly flagged minutes
        for f in data.factors(mn):
            for x in data.series[(mn, f)]:
                if x.n_maint * 2 >= x.n_total and x.n_total:
                    flagged[x.hour].append(x)
        by_day = defaultdict(list)
        for h in sorted(flagged):
            by_day[h.date()].append(flagged[h][0])
        for day, rows in sorted(by_day.items()):
            if len(rows) > p["max_hours_per_day"]:
                out.append(finding(NAME, rows, min(1.0, 0.5 + len(rows) / 24),
                                   f"{day} 有 {len(rows)} 个小时标记为维护/校准/故障，超过每日 {p['max_hours_per_day']} 小时",
                                   {"flags": p["flags"], "max_hours_per_day": p["max_hours_per_day"]}))
                continue
            covering = []
            for x in rows:
                for y in flagged[x.hour]:
                    limit, _ = limits.get(mn, y.factor)
                    if limit and (y.max_raw or 0) > p["covering_ratio"] * limit:
                        covering.append(y)
                        break
            for ep in episodes(covering, lambda _: True):
                out.append(finding(NAME, ep, 0.8, f"{ep[0].factor} 标记为维护/校准的时段恰好是原始值超过限值的时段",
                                   {"flags": p["flags"], "covering_ratio": p["covering_ratio"]}))
    return out
