"""The device's own hourly (2061) or daily (2031) average does not match the minute data it should
summarise: one of the two series was altered."""

from datetime import date, timedelta

import numpy as np

from . import episodes, finding, mean, num, thresholds

NAME = "aggregate_mismatch"
EPOCH = date(1970, 1, 1)


def _daily_off(data, p, min_hours) -> np.ndarray:
    """Per series: a device daily value that may be off the mean of the day's valid hours (the
    mean in numpy, compared with a hair of slack; the rows then decide exactly)."""
    out = np.zeros(len(data.keys), bool)
    avg = data.col("avg_value")
    idx = np.flatnonzero(data.valid_rows() & ~np.isnan(avg))
    if not len(idx) or not data.days:
        return out
    day = data.col("hour")[idx].astype("datetime64[D]").astype(np.int64)
    sid = data.sid[idx]
    first = np.concatenate([[0], np.flatnonzero((np.diff(sid) != 0) | (np.diff(day) != 0)) + 1])
    counts = np.diff(np.append(first, len(idx)))
    means = np.add.reduceat(avg[idx], first) / counts
    for g in np.flatnonzero(counts >= min_hours).tolist():
        s = int(sid[first[g]])
        value, flag = data.days.get(data.keys[s], {}).get(EPOCH + timedelta(days=int(day[first[g]])), (None, None))
        m = float(means[g])
        if value is not None and abs(value - m) > p.tolerance * max(abs(m), p.abs_floor) - 1e-6 * (abs(m) + 1):
            out[s] = True
    return out


def detect(data, limits, r):
    p = r.aggregate_mismatch
    min_hours = r.validity.versions[-1].hours_per_valid_day
    out = []
    dev, avg, n_valid = data.col("dev_value"), data.col("avg_value"), data.col("n_valid")
    off_col = ((data.col("source") == "both") & (n_valid * data.col("interval") >= p.min_covered_minutes)
               & (n_valid >= data.col("n_total")) & (np.abs(dev - avg) > p.tolerance * np.maximum(np.abs(avg), p.abs_floor)))
    for (mn, factor), rows in data.where(off_col | data.per_series(_daily_off(data, p, min_hours))):
        def off(x):
            if x.source != "both" or x.dev_value is None or x.avg_value is None:
                return False
            if x.n_valid * x.interval < p.min_covered_minutes or x.n_valid < x.n_total:
                return False
            return abs(x.dev_value - x.avg_value) > p.tolerance * max(abs(x.avg_value), p.abs_floor)

        for ep in episodes(rows, off):
            if len(ep) >= p.min_hours:
                x = max(ep, key=lambda y: abs(y.dev_value - y.avg_value))
                out.append(finding(NAME, ep, 0.8, f"{factor} 设备上报的小时均值 {num(x.dev_value, 3)} 与其分钟数据均值 "
                                                  f"{num(x.avg_value, 3)} 不符（{x.hour:%m-%d %H}时，共 {len(ep)} 小时）",
                                   thresholds(p, "tolerance", "abs_floor", "min_covered_minutes", "min_hours")))
        for day, (value, flag) in sorted(data.days.get((mn, factor), {}).items()):
            hours = [x for x in rows if x.hour.date() == day and data.valid(x) and x.avg_value is not None]
            if value is None or flag not in (None, "N") or len(hours) < min_hours:
                continue
            if data.window and day < data.window[0].date():
                continue
            avg = mean(x.avg_value for x in hours)
            if abs(value - avg) > p.tolerance * max(abs(avg), p.abs_floor):
                out.append(finding(NAME, hours, 0.8, f"{factor} 设备上报的 {day} 日均值 {num(value, 3)} 与当日 "
                                                     f"{len(hours)} 个有效小时均值 {num(avg, 3)} 不符",
                                   thresholds(p, "tolerance", "abs_floor") | {"hours_per_valid_day": min_hours}))
    return out
