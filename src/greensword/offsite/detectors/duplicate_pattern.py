"""A day's hourly series identical to another day's (of this point or another): copied data."""

from collections import defaultdict

from . import finding

NAME = "duplicate_pattern"


def detect(data, limits, r):
    p = r.duplicate_pattern
    seen: dict = defaultdict(list)
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
            seen[vec].append((day, mn, valid))
    out = []
    for group in seen.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda g: (g[0], g[1]))
        first_day, first_mn, _ = group[0]
        for day, _mn, valid in group[1:]:
            out.append(finding(NAME, valid, 0.95, f"{valid[0].factor} {day} 的小时序列与 {first_mn} {first_day} 完全相同，"
                                                 "疑似复制历史数据", {"min_valid_hours": p["min_valid_hours"],
                                                                        "decimals": p["decimals"]}))
    return out
