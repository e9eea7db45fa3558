"""Oxygen raised so the corrected value drops (O2 implausibly high while running), or corrected
values that do not follow raw × (21 − O2ref)/(21 − O2)."""

from . import episodes, finding

NAME = "o2_dilution"


def detect(data, limits, r):
    p = r.o2_dilution
    out = []
    for (mn, factor), rows in data.series.items():
        if factor == "a19001":
            high = lambda x: data.valid(x) and x.n_stop == 0 and (x.avg_value or 0) > p["o2_max"]  # noqa: E731
            for ep in episodes(rows, high):
                out.append(finding(NAME, ep, 0.7 + 0.05 * min(len(ep), 6),
                                   f"运行期间氧含量小时均值高达 {max(x.avg_value for x in ep):.1f}%（>{p['o2_max']}%），"
                                   "疑似稀释降低实测浓度", {"o2_max": p["o2_max"]}))
            continue
        bad = lambda x: x.n_zs_bad >= p["min_minutes"]  # noqa: E731
        for ep in episodes(rows, bad):
            _, ref = limits.get(mn, factor)
            out.append(finding(NAME, ep, 0.9, f"{factor} 折算值与“实测值×(21−{ref})/(21−O2)”不符的分钟数"
                                              f" {sum(x.n_zs_bad for x in ep)}，折算值不可信",
                               {"mismatch_tolerance": p["mismatch_tolerance"], "min_minutes": p["min_minutes"],
                                "ref_o2": ref}))
    return out
