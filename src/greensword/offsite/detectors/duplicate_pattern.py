"""A day's hourly series identical to another day's (of this point or another): copied data."""

from collections import defaultdict

from . import finding

NAME = "duplicate_pattern"


def detect(data, limits, r, seen: dict | None = None):
    """``seen`` (fingerprint → first (day, mn)) persists across windows when screening day by day."""
    p = r.duplicate_pattern
    known = seen if seen is not None else {}
    seen_now: dict = defaultdict(list)
    for (mn, factor), rows in data.series.items():
        if factor.startswith("e1"):
            continue
        days = defaultdict(list)
        for x in rows:
            if data.valid(x) and x.avg_value is not None:
                days[x.hour.date()].append(x)
        for day, valid in days.items():
            if len(valid) < p["min_valid_hours"]:
                continue
            vec = (factor, tuple((x.hour.hour, round(x.avg_value, p["decimals"])) for x in valid))
            seen_now[vec].append((day, mn, valid))
    out = []
    for vec, group in seen_now.items():
        group.sort(key=lambda g: (g[0], g[1]))
        if vec in known:
            first_day, first_mn = known[vec]
            dupes = [g for g in group if (g[0], g[1]) != (first_day, first_mn)]
        else:
            first_day, first_mn = group[0][0], group[0][1]
            known[vec] = (first_day, first_mn)
            dupes = group[1:]
        for day, _mn, valid in dupes:
            out.append(finding(NAME, valid, 0.95, f"{valid[0].factor} {day} 的小时序列与 {first_mn} {first_day} 完全相同，"
                                                 "疑似复制历史数据", {"min_valid_hours": p["min_valid_hours"],
                                                                        "decimals": p["decimals"]}))
    return out
