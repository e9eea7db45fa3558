"""Dilution: oxygen raised far above the point's own normal while the source runs and the load
(flow) does not explain it; and corrected (折算) values that do not follow
raw × (21 − O2ref)/(21 − O2)."""

from . import O2, episodes, finding, num, robust, thresholds

NAME = "o2_dilution"


def detect(data, limits, r):
    p = r.o2_dilution
    out = []
    checked, bad_n = data.col("n_zs_checked"), data.col("n_zs_bad")
    o2 = data.per_series([f == O2 for _mn, f in data.keys])
    for (mn, factor), rows in data.where(o2 | ((checked > 0) & (bad_n >= p.mismatch_min_share * checked)
                                              & data.valid_rows())):
        if factor == O2:
            running = [x for x in rows if data.valid(x) and x.n_stop == 0 and x.avg_value is not None
                       and x.avg_value < p.max_o2]
            if len(running) < p.baseline_min_hours:
                continue
            med, mad = robust([x.avg_value for x in running])
            bar = med + max(p.min_rise, p.mad_multiple * 1.4826 * mad)
            flow, flow_med = data.flow(mn)

            def high(x, bar=bar, flow=flow, flow_med=flow_med):
                if not (data.valid(x) and x.n_stop == 0 and x.avg_value is not None and bar < x.avg_value < p.max_o2):
                    return False
                f = flow.get(x.hour)
                return flow_med is None or f is None or f >= p.flow_low_share * flow_med

            for ep in episodes(rows, high):
                if len(ep) < p.min_hours:
                    continue
                peak = max(x.avg_value for x in ep)
                out.append(finding(NAME, ep, 0.6 + 0.05 * (peak - bar),
                                   f"运行期间氧含量升至 {peak:.1f}%，远高于该点平时的 {med:.1f}%（判定线 {bar:.1f}%），"
                                   "而流量/负荷未下降，疑似掺入空气稀释",
                                   thresholds(p, "min_rise", "mad_multiple", "min_hours", "flow_low_share")
                                   | {"own_median": round(med, 3), "own_mad": round(mad, 3)}))
            continue
        _, ref = limits.get(mn, factor)
        if ref is None:
            continue

        def bad(x):
            return x.n_zs_checked > 0 and x.n_zs_bad >= p.mismatch_min_share * x.n_zs_checked and data.valid(x)

        for ep in episodes(rows, bad):
            out.append(finding(NAME, ep, 0.9, f"{factor} 折算值与“实测值×(21−{num(ref)})/(21−O2)”不符"
                                              f"（{sum(x.n_zs_bad for x in ep)}/{sum(x.n_zs_checked for x in ep)} 个数据），折算值不可信",
                               thresholds(p, "mismatch_tolerance", "mismatch_min_share") | {"ref_o2": ref}))
    return out
