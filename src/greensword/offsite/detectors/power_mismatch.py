"""Power-use monitoring against emission data: production ran while emissions say stopped, or the
treatment facility drew no power while production ran (e10001 production, e10002 treatment)."""

from . import episodes, finding

NAME = "power_mismatch"


def detect(data, limits, r):
    p = r.power_mismatch
    out = []
    for mn in data.mns:
        prod = {x.hour: x for x in data.series.get((mn, "e10001"), [])}
        treat = {x.hour: x for x in data.series.get((mn, "e10002"), [])}
        if not prod:
            continue
        emit = [f for f in data.factors(mn) if not f.startswith("e1") and f != "a19001"]
        stopped = {}
        for f in emit:
            for x in data.series[(mn, f)]:
                if x.n_stop * 2 >= max(x.n_total, 1):
                    stopped[x.hour] = True
        hours = sorted(prod)

        def producing(h, prod=prod):
            return (prod[h].avg_raw or 0) > p["production_on_kw"]

        class H:   # adapter so episodes() can walk plain hours
            def __init__(self, row):
                self.hour, self.row = row.hour, row

        rows = [H(prod[h]) for h in hours]
        no_treat = [x for x in rows if producing(x.hour) and x.hour in treat
                    and (treat[x.hour].avg_raw or 0) < p["treatment_off_kw"]]
        fake_stop = [x for x in rows if producing(x.hour) and stopped.get(x.hour)]
        for group, text, factor in ((no_treat, "生产用电正常而治污设施用电接近零，治污设施疑似未运行", "e10002"),
                                    (fake_stop, "生产用电显示正常生产，排放数据却标记为停运", "e10001")):
            for ep in episodes(group, lambda _: True):
                if len(ep) >= p["min_hours"]:
                    src = treat if factor == "e10002" else prod
                    out.append(finding(NAME, [src[x.hour] for x in ep], min(1.0, 0.6 + 0.1 * len(ep)), text,
                                       {k: p[k] for k in ("production_on_kw", "treatment_off_kw", "min_hours")}))
    return out
