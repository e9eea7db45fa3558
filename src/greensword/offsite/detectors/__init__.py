"""Detectors: pure functions of the hourly table (offsite/hourly.py) and the limits. Each module
has NAME and ``detect(data, limits, r) -> list[Finding]``; NAMES lists them in report order and
LABELS gives each its zh-CN name (the one place both are defined)."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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

#: the hourly table in columns: SQL_COLUMNS, then what assembly adds (Row's fields, in order)
HOURLY_SCHEMA = pa.schema([(c, pa.string() if c in ("mn", "factor", "source") else pa.timestamp("us") if c == "hour"
                            else pa.float64() if c.startswith(("avg_", "min_v", "max_v", "max_r", "min_r", "dev_"))
                            else pa.int64())
                           for c in SQL_COLUMNS + ("interval", "covered", "source", "dev_value")])


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


class Series(Mapping):
    """(mn, factor) → that series' hourly rows (hour-sorted), built when first asked for: the hourly
    table stays in columns and detectors materialise only the series their column test selects."""

    def __init__(self, col, starts: np.ndarray, keys: list[tuple[str, str]]):
        self._col, self._starts, self._keys = col, starts, keys
        self._index = {k: i for i, k in enumerate(keys)}
        self._rows: dict[int, list[Row]] = {}

    def __getitem__(self, key):
        return self.rows(self._index[key])

    def __contains__(self, key):
        return key in self._index

    def __iter__(self):
        return iter(self._keys)

    def __len__(self):
        return len(self._keys)

    def rows(self, i: int) -> list[Row]:
        if i not in self._rows:
            a, b = int(self._starts[i]), int(self._starts[i + 1])
            cols = []
            for name in Row.__slots__:
                part = self._col(name)[a:b]
                values = part.tolist()
                if part.dtype.kind == "f" and np.isnan(part).any():
                    values = [None if v != v else v for v in values]        # NaN stands for a missing value
                cols.append(values)
            self._rows[i] = [Row(*t) for t in zip(*cols, strict=True)]
        return self._rows[i]


class Data:
    """The hourly table (one row per point, factor and hour; columns as in Row) sorted by point,
    factor and hour. Detectors test whole columns first (numpy, ``col``/``where``) and read rows
    only for the series that pass: ``series`` maps (mn, factor) to its rows lazily."""

    def __init__(self, rows, minutes_per_valid_hour: int, *, days: dict | None = None,
                 window: tuple[datetime, datetime] | None = None, links: dict | None = None):
        if not isinstance(rows, pa.Table):                 # a list of Rows (tests)
            names = list(Row.__slots__)
            rows = pa.Table.from_pylist([{k: getattr(r, k) for k in names} for r in rows],
                                        schema=HOURLY_SCHEMA) if rows else HOURLY_SCHEMA.empty_table()
            rows = rows.sort_by([("mn", "ascending"), ("factor", "ascending"), ("hour", "ascending")])
        self.table = rows
        n = rows.num_rows
        if n:
            change = pc.or_(pc.not_equal(rows["mn"].slice(1), rows["mn"].slice(0, n - 1)),
                            pc.not_equal(rows["factor"].slice(1), rows["factor"].slice(0, n - 1)))
            starts = np.concatenate([[0], np.flatnonzero(change.to_numpy(zero_copy_only=False)) + 1, [n]])
        else:
            starts = np.array([0])
        first = starts[:-1]
        keys = list(zip(rows["mn"].take(first).to_pylist(), rows["factor"].take(first).to_pylist(), strict=True))
        self.series = Series(self.col, starts, keys)
        self.keys = keys
        self.starts = starts
        self.sid = np.repeat(np.arange(len(keys)), np.diff(starts))      # series index of every row
        self._cols: dict[str, np.ndarray] = {}
        self.min_valid = minutes_per_valid_hour
        self.days: dict[tuple[str, str], dict[date, tuple]] = days or {}
        self.window = window
        self.links = links or {}
        by_mn: dict[str, list[str]] = defaultdict(list)
        for mn, f in keys:
            by_mn[mn].append(f)
        self._factors = {mn: sorted(fs) for mn, fs in by_mn.items()}   # not a scan per call: 1,000s of MNs
        meters = {m for ls in self.links.values() for m, _f, _role in ls}
        self.mns = sorted(mn for mn in self._factors if mn not in meters)
        self._flow: dict[str, dict[datetime, float]] = {}

    # -------------------------------------------------------------- columns (numpy, one entry per row)
    def col(self, name: str) -> np.ndarray:
        """A column as numpy: floats with NaN for missing, hours as datetime64[us]."""
        if name not in self._cols:
            self._cols[name] = self.table[name].to_numpy(zero_copy_only=False)
        return self._cols[name]

    def per_series(self, values) -> np.ndarray:
        """A value per series (in ``keys`` order) spread to its rows."""
        return np.asarray(values)[self.sid] if len(self.sid) else np.asarray(values)[:0]

    def valid_rows(self) -> np.ndarray:
        return self.col("covered") >= self.min_valid

    def window_rows(self) -> np.ndarray:
        if self.window is None:
            return np.ones(len(self.sid), bool)
        h = self.col("hour")
        return (h >= np.datetime64(self.window[0], "us")) & (h < np.datetime64(self.window[1], "us"))

    def limit_rows(self, limits) -> tuple[np.ndarray, np.ndarray]:
        """Each row's (limit, ref_o2), NaN where none."""
        pairs = [limits.get(mn, f) for mn, f in self.keys]
        lim = [np.nan if x is None else x for x, _ in pairs]
        ref = [np.nan if y is None else y for _, y in pairs]
        return self.per_series(np.array(lim, float)), self.per_series(np.array(ref, float))

    def where(self, mask: np.ndarray, min_count: int = 1):
        """(key, rows) of every series with at least ``min_count`` rows where ``mask`` holds."""
        if not len(mask):
            return []
        counts = np.add.reduceat(mask.astype(np.int64), self.starts[:-1])
        return [(self.keys[i], self.series.rows(i)) for i in np.flatnonzero(counts >= min_count)]

    def max_before(self, values: np.ndarray) -> np.ndarray:
        """For every row, the largest of ``values`` at earlier rows of its series (NaN values
        skipped; NaN where there is none)."""
        n = len(values)
        out = np.full(n, np.nan)
        idx = np.flatnonzero(~np.isnan(values))
        if not len(idx):
            return out
        order = idx[np.argsort(values[idx], kind="stable")]
        rank = np.zeros(n, np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        base = self.sid.astype(np.int64) * (n + 1)
        best = np.maximum.accumulate(base + rank)      # series are contiguous: earlier series stay below base
        prev = np.concatenate([[-1], best[:-1]]) - base
        has = prev >= 1
        out[has] = values[order[prev[has] - 1]]
        return out

    def mn_rows(self) -> tuple[list[str], np.ndarray]:
        """The points (sorted) and each row's index among them."""
        names = sorted(self._factors)
        pos = {mn: i for i, mn in enumerate(names)}
        return names, self.per_series(np.array([pos[mn] for mn, _f in self.keys], np.int64))

    def mns_where(self, mask: np.ndarray) -> list[str]:
        """Points (in ``mns`` order) with at least one row where ``mask`` holds."""
        if not len(mask):
            return []
        hit = {self.keys[i][0] for i in np.flatnonzero(np.add.reduceat(mask.astype(np.int64), self.starts[:-1]))}
        return [mn for mn in self.mns if mn in hit]

    # -------------------------------------------------------------- rows
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
