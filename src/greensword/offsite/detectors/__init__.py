"""Detectors: pure functions of the hourly table (offsite/hourly.py) and the limits. Each module
has NAME and ``detect(data, limits, r) -> list[Finding]``; ALL lists them in report order."""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

NAMES = ["exceedance", "flatline", "near_limit", "sudden_drop", "flag_abuse", "missing_data", "o2_dilution",
         "duplicate_pattern", "out_of_range", "power_mismatch"]
HOUR = timedelta(hours=1)


@dataclass(slots=True)
class Row:
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
    max_raw: float | None
    n_stop: int
    n_maint: int
    n_out: int
    n_zs_bad: int
    n_zs_checked: int

    def as_dict(self) -> dict:
        return {k: (getattr(self, k).isoformat() if k == "hour" else getattr(self, k)) for k in self.__slots__}


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

    def __init__(self, rows: list[tuple], minutes_per_valid_hour: int):
        self.series: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for t in rows:
            r = Row(*t)
            self.series[(r.mn, r.factor)].append(r)
        for s in self.series.values():
            s.sort(key=lambda r: r.hour)
        self.min_valid = minutes_per_valid_hour
        by_mn: dict[str, list[str]] = defaultdict(list)
        for mn, f in self.series:
            by_mn[mn].append(f)
        self._factors = {mn: sorted(fs) for mn, fs in by_mn.items()}   # not a scan per call: 1,000s of MNs
        self.mns = sorted(self._factors)

    def valid(self, r: Row) -> bool:
        return r.n_valid >= self.min_valid

    def factors(self, mn: str) -> list[str]:
        return self._factors.get(mn, [])


def episodes(rows: list[Row], pred) -> list[list[Row]]:
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


def finding(name: str, rows: list[Row], score: float, explanation: str, thresholds: dict) -> Finding:
    return Finding(rows[0].mn, rows[0].factor, name, rows[0].hour, rows[-1].hour + HOUR, round(score, 4),
                   explanation, thresholds, [r.as_dict() for r in rows[:48]])


def run_all(data: Data, limits, r, names: list[str] | None = None) -> list[Finding]:
    out: list[Finding] = []
    for name in names or NAMES:
        mod = importlib.import_module(f"{__name__}.{name}")
        out.extend(mod.detect(data, limits, r))
    out.sort(key=lambda f: (f.mn, f.start, f.detector, f.factor))
    return out
