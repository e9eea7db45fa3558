"""A step down to an implausibly low share of the point's own recent level while the source runs
normally (flow at its usual level, oxygen not raised) and no stop flag — not a start-up, not a
low-load period (flow falls with it), not a shut-down (flagged F)."""

import numpy as np

from . import HOUR, O2, finding, median, num, thresholds

NAME = "sudden_drop"


def detect(data, limits, r):
    p = r.sudden_drop
    rise = r.o2_dilution.min_rise
    out = []
    lim, _ref = data.limit_rows(limits)
    avg = data.col("avg_value")
    running = data.valid_rows() & ~np.isnan(avg) & (data.col("n_stop") == 0)
    earlier = data.max_before(np.where(running, avg, np.nan))   # no recent level can exceed this
    drop = running & (data.col("n_out") == 0) & (avg < p.ratio * earlier) & (lim != 0) & ~np.isnan(lim)
    for (mn, factor), rows in data.where(drop):
        limit, _ = limits.get(mn, factor)
        if not limit:
            continue
        flow, _ = data.flow(mn)
        o2 = {x.hour: x.avg_value for x in data.series.get((mn, O2), []) if data.valid(x)}
        o2_med = median(o2.values()) if len(o2) >= 6 else None
        history: list[tuple] = []           # (value, flow, hour) of the last valid running hours
        last_stop = None
        run: list = []

        def close(run=run, factor=factor):
            if len(run) >= p.min_hours:
                b = run[0][1]
                low = min(y.avg_value for y, _ in run)
                out.append(finding(NAME, [y for y, _ in run], 0.6 + 0.1 * len(run),
                                   f"{factor} 在无停运标记、流量正常的情况下骤降至 {num(low, 3)}，"
                                   f"仅为此前正常水平 {num(b, 3)} 的 {low / b:.0%}（阈值 {p.ratio:.0%}），持续 {len(run)} 小时",
                                   thresholds(p, "ratio", "min_hours", "baseline_hours", "baseline_max_age_hours", "flow_min_share",
                                              "min_baseline_share_of_limit")))
            run.clear()

        for x in rows:
            if x.n_stop:
                last_stop = x.hour
            ok = data.valid(x) and x.avg_value is not None and x.n_stop == 0
            while history and (len(history) > p.baseline_hours
                               or x.hour - history[0][2] > p.baseline_max_age_hours * HOUR):
                history.pop(0)                  # the recent level: the last valid running hours
            f_now = flow.get(x.hour)
            low, base = False, None
            if (ok and len(history) >= p.min_baseline_hours and x.n_out == 0     # cheap tests first
                    and x.avg_value < p.ratio * max(v for v, _f, _h in history)):
                base = median([v for v, _f, _h in history])
                flows = [f for _v, f, _h in history if f is not None]
                base_flow = median(flows) if len(flows) >= p.min_baseline_hours else None
                after_stop = last_stop is not None and x.hour - last_stop <= p.after_stop_hours * HOUR
                flow_ok = base_flow is None or (f_now is not None and f_now >= p.flow_min_share * base_flow)
                o2_ok = o2_med is None or (o2.get(x.hour) is not None and o2[x.hour] <= o2_med + rise)
                low = (base >= p.min_baseline_share_of_limit * limit and x.avg_value < p.ratio * base
                       and not after_stop and flow_ok and o2_ok)
            if low and run and x.hour - run[-1][0].hour != HOUR:
                close()
            if low:
                run.append((x, base if not run else run[0][1]))
                history.append((x.avg_value, f_now, x.hour))
                continue
            close()
            if ok and not (last_stop is not None and x.hour - last_stop <= p.after_stop_hours * HOUR):
                history.append((x.avg_value, f_now, x.hour))
        close()
    return out
