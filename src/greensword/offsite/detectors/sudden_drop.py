"""A step down to implausibly low values without a stop flag (not a start-up ramp)."""

import statistics

from . import HOUR, finding

NAME = "sudden_drop"


def detect(data, limits, r):
    p = r.sudden_drop
    out = []
    for (mn, factor), rows in data.series.items():
        limit, _ = limits.get(mn, factor)
        if not limit:
            continue
        # a drop that comes with oxygen far above normal is dilution (o2_dilution reports it)
        o2 = {x.hour: x.avg_value for x in data.series.get((mn, "a19001"), [])}
        o2_max = r.o2_dilution["o2_max"]
        history: list[float] = []
        last_stop = None
        run = []
        for x in rows:
            if x.n_stop:
                last_stop = x.hour
            ok = data.valid(x) and x.avg_value is not None
            base = statistics.median(history[-24:]) if len(history) >= 12 else None
            after_stop = last_stop is not None and x.hour - last_stop <= p.get("after_stop_hours", 6) * HOUR
            low = (ok and base is not None and base >= p["min_baseline_share_of_limit"] * limit
                   and x.avg_value < p["ratio"] * base and not after_stop and x.n_stop == 0
                   and (o2.get(x.hour) or 0) <= o2_max and x.n_out == 0)   # impossible values: out_of_range
            if low and (not run or x.hour - run[-1][0].hour == HOUR):
                run.append((x, base))
                continue
            if len(run) >= p["min_hours"]:
                b = run[0][1]
                out.append(finding(NAME, [y for y, _ in run], min(1.0, 0.6 + 0.1 * len(run)),
                                   f"{factor} 在无停运标记的情况下骤降至 {min(y.avg_value for y, _ in run):.3f}，"
                                   f"不足此前 24 小时中位数 {b:.3f} 的 {p['ratio']:.0%}，持续 {len(run)} 小时",
                                   {k: p[k] for k in ("ratio", "min_hours", "min_baseline_share_of_limit")}))
            run = [(x, base)] if low else []
            if ok and not low:
                history.append(x.avg_value)
        if len(run) >= p["min_hours"]:
            out.append(finding(NAME, [y for y, _ in run], min(1.0, 0.6 + 0.1 * len(run)),
                               f"{factor} 在无停运标记的情况下骤降，持续 {len(run)} 小时",
                               {k: p[k] for k in ("ratio", "min_hours")}))
    return out
