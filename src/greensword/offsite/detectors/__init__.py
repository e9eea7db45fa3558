"""Detectors: pure functions of the hourly table (offsite/hourly.py) and the limits. Each module
has NAME and ``detect(data, limits, r) -> list[Finding]``; NAMES lists them in report order and
LABELS gives each its zh-CN name (the one place both are defined)."""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ...core.numbers import fmt_num as num  # noqa: F401  (numbers in stored explanations: 915,600, never 9.156e+05)

LABELS = {"exceedance": "超标排放", "flatline": "数据恒值", "near_limit": "长期贴近限值", "sudden_drop": "无标记骤降",
          "flag_abuse": "标记滥用", "missing_data": "数据缺失", "o2_dilution": "氧含量/折算异常",
          "duplicate_pattern": "数据复制", "out_of_range": "超出量程", "power_mismatch": "用电与排放不符",
          "aggregate_mismatch": "小时/日均值与分钟数据不符"}
NAMES = list(LABELS)
HOUR = timedelta(hours=1)
FLOW = ("a00000", "w00000")
O2 = "a19001"

#: columns the hourly SQL returns, in order (offsite/hourly.py)
SQL_COLUMNS = ("mn", "factor", "hour", "n_total", "n_valid", "avg_value", "avg_zs", "min_value", "max_value",
               "avg_raw", "avg_zs_raw", "max_raw", "min_raw", "n_stop", "n_maint", "n_out", "n_zs_bad", "n_zs_checked",
               "first_min", "last_min")


@dataclass(slots=True)
class Row:
    """One (point, factor, hour): aggregates of its minute samples, or the device's own hourly
    value (CN 2061) where minutes are absent or incomplete."""
    mn: str
    factor: str
    hour: datetime
    n_total: int
    n_valid: int
    avg_value: float | None
    avg_zs: float | None
    min_value: float | None
    max_value: float | None
    avg_raw: float | None
    avg_zs_raw: float | None   # corrected values of all samples, flagged ones too
    max_raw: float | None
    min_raw: float | None
    n_stop: int
    n_maint: int
    n_out: int
    n_zs_bad: int
    n_zs_checked: int
    first_min: int
    last_min: int
    interval: int = 1          # minutes between samples (inferred, or MinInterval)
    covered: int = 0           # minutes covered by valid samples (HJ 75: ≥ 45 makes a valid hour)
    source: str = "minute"     # minute | hour (device hourly only) | both (minutes valid, device hourly too)
    dev_value: float | None = None   # the device's hourly average where it sent one

    def as_dict(self) -> dict:
        return {k: (getattr(self, k).isoformat() if k == "hour" else getattr(self, k)) for k in self.__slots__}

    @property
    def samples(self) -> int:
        return self.n_valid


@dataclass
class Finding:
    mn: str
    factor: str
    detector: str
    start: datetime
    end: datetime          # exclusive
    score: float
    explanation: str
    thresholds: dict
    rows: list[dict] = field(default_factory=list)

    def key(self) -> tuple:
        return (self.mn, self.factor, self.detector, self.start, self.end)


class Data:
    """Hourly rows grouped per (mn, factor), hour-sorted; plus helpers detectors share."""

    def __init__(self, rows: list[Row], minutes_per_valid_hour: int, *, days: dict | None = None,
                 window: tuple[datetime, datetime] | None = None, links: dict | None = None):
        self.series: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for r in rows:
            self.series[(r.mn, r.factor)].append(r)
        for s in self.series.values():
            s.sort(key=lambda r: r.hour)
        self.min_valid = minutes_per_valid_hour
        self.days: dict[tuple[str, str], dict[date, tuple]] = days or {}
        self.window = window
        self.links = links or {}
        by_mn: dict[str, list[str]] = defaultdict(list)
        for mn, f in self.series:
            by_mn[mn].append(f)
        self._factors = {mn: sorted(fs) for mn, fs in by_mn.items()}   # not a scan per call: 1,000s of MNs
        meters = {m for ls in self.links.values() for m, _f, _role in ls}
        self.mns = sorted(mn for mn in self._factors if mn not in meters)
        self._flow: dict[str, dict[datetime, float]] = {}

    def valid(self, r: Row) -> bool:
        return r.covered >= self.min_valid

    def factors(self, mn: str) -> list[str]:
        return self._factors.get(mn, [])

    def flow(self, mn: str) -> tuple[dict[datetime, float], float | None]:
        """The point's valid hourly flow and its median (None when the point reports no flow)."""
        if mn not in self._flow:
            rows = self.series.get((mn, FLOW[0])) or self.series.get((mn, FLOW[1])) or []
            self._flow[mn] = {x.hour: x.avg_value for x in rows if self.valid(x) and x.avg_value is not None}
        f = self._flow[mn]
        return f, (median(f.values()) if len(f) >= 6 else None)

    def in_window(self, r: Row) -> bool:
        return self.window is None or self.window[0] <= r.hour < self.window[1]


def episodes(rows: list, pred) -> list[list]:
    """Runs of consecutive hours for which pred(row) holds."""
    out, cur = [], []
    for r in rows:
        if pred(r) and (not cur or r.hour - cur[-1].hour == HOUR):
            cur.append(r)
        elif pred(r):
            out.append(cur)
            cur = [r]
        else:
            if cur:
                out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def median(values) -> float:
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def mean(values) -> float:
    v = list(values)
    return sum(v) / len(v)


def cv(values: list[float]) -> float:
    """Coefficient of variation (population standard deviation / mean)."""
    m = sum(values) / len(values)
    return (sum((x - m) ** 2 for x in values) / len(values)) ** 0.5 / m if m else float("inf")


def robust(values: list[float]) -> tuple[float, float]:
    """Median and MAD."""
    med = median(values)
    return med, median([abs(v - med) for v in values])


def finding(name: str, rows: list[Row], score: float, explanation: str, thresholds: dict) -> Finding:
    return Finding(rows[0].mn, rows[0].factor, name, rows[0].hour, rows[-1].hour + HOUR, round(min(1.0, score), 4),
                   explanation, thresholds, [r.as_dict() for r in rows[:48]])


def thresholds(block, *names: str) -> dict:
    return {k: getattr(block, k) for k in names}


def run_all(data: Data, limits, r, names: list[str] | None = None) -> list[Finding]:
    out: list[Finding] = []
    for name in names or NAMES:
        mod = importlib.import_module(f"{__name__}.{name}")
        out.extend(mod.detect(data, limits, r))
    out.sort(key=lambda f: (f.mn, f.start, f.detector, f.factor))
    return out
