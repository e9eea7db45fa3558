"""Power-use monitoring (用电监控) against emission data, through the registry's links from an
emission point to its power meters (their own MNs): production ran while the emission data say
the source stopped, or the treatment facility drew almost none of its usual power while
production ran. "Usual" is each meter's own median."""

from . import HOUR, Row, finding, num, thresholds

NAME = "power_mismatch"


def _quantile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def _meter(data, mn, factor):
    rows = [x for x in data.series.get((mn, factor), []) if x.avg_raw is not None]
    return {x.hour: x for x in rows}


def detect(data, limits, r):
    p = r.power_mismatch
    out = []
    for mn in data.mns:
        links = list(data.links.get(mn, []))
        if not links:               # meters on the point's own MN (older installations)
            links = [(mn, f, role) for f, role in (("e10001", "production"), ("e10002", "treatment"))
                     if (mn, f) in data.series]
        prod = [_meter(data, m, f) for m, f, role in links if role == "production"]
        treat = [_meter(data, m, f) for m, f, role in links if role == "treatment"]
        if not prod:
            continue
        prod_sum: dict = {}
        for series in prod:
            for h, x in series.items():
                prod_sum[h] = prod_sum.get(h, 0.0) + x.avg_raw
        if len(prod_sum) < p.baseline_min_hours:
            continue
        p_med = _quantile(list(prod_sum.values()), p.baseline_quantile)
        if p_med <= 0:
            continue
        producing = {h for h, v in prod_sum.items() if v > p.production_on_share * p_med}
        stopped = set()
        for f in data.factors(mn):
            if f.startswith("e1"):
                continue
            for x in data.series[(mn, f)]:
                if x.n_stop * 2 >= max(x.n_total, 1):
                    stopped.add(x.hour)
        groups = []
        for series in treat:
            vals = [x.avg_raw for x in series.values()]
            if len(vals) < p.baseline_min_hours:
                continue
            t_med = _quantile(vals, p.baseline_quantile)
            off = sorted((x for h, x in series.items() if h in producing and x.avg_raw < p.treatment_off_share * t_med),
                         key=lambda x: x.hour)
            groups.append((off, f"生产用电正常而治污设施用电降至平时（{num(t_med, 1)}）的 {p.treatment_off_share:.0%} 以下，"
                                "治污设施疑似未运行"))
        # a stop mark while production runs — unless the marked episode holds a real stop (production
        # off at some hour): its ends are the shut-down and the start-up, where production ramps
        real: set = set()
        ep: list = []
        for h in sorted(stopped) + [None]:
            if h is not None and (not ep or h - ep[-1] == HOUR):
                ep.append(h)
                continue
            if any(x in prod_sum and x not in producing for x in ep):
                real.update(ep)
            ep = [h] if h is not None else []
        fake = sorted(h for h in producing if h in stopped and h not in real)
        host = prod[0]
        groups.append(([host[h] for h in fake], "生产用电显示正常生产，排放数据却标记为停运"))
        for rows, text in groups:
            run: list[Row] = []
            for x in rows + [None]:
                if x is not None and (not run or x.hour - run[-1].hour == HOUR):
                    run.append(x)          # context hours too: an episode across midnight is one episode
                    continue
                if len(run) >= p.min_hours and (data.window is None or run[-1].hour >= data.window[0]):
                    f = finding(NAME, run, 0.6 + 0.1 * len(run), f"{text}，持续 {len(run)} 小时",
                                thresholds(p, "production_on_share", "treatment_off_share", "min_hours")
                                | {"production_usual": round(p_med, 3)})
                    f.mn = mn                      # the lead is about the emission point, not the meter
                    out.append(f)
                run = [x] if x is not None else []
    return out
