"""The heavy step of off-site screening: monitoring data → one row per (MN, factor, hour) with what
every detector needs.

Minute data (CN 2051, and real-time 2011 folded into it) are aggregated in SQL: the same text runs
on DuckDB (over the Parquet lake) and on Spark SQL, so both engines feed the same pure detectors.
Then, in Python (engine-independent):

* each point's sample interval is inferred per day (1/5/10/15/30 min — HJ 212 MinInterval — from
  the spacing of its samples, or taken from MinInterval where the device reported it) and an hour
  is valid when its valid samples cover ≥ 45 minutes (HJ 75), whatever the interval;
* the device's own hourly data (CN 2061) fill hours whose minutes are absent or incomplete, so
  points that send only hourly data are screened on them; where both exist the device value is
  kept beside the minutes' average (a mismatch is itself a finding);
* daily data (CN 2031) are kept per (point, factor, day) for the same cross-check.

Rows may repeat (a re-sent or back-filled packet): the first received copy counts.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..hj212 import lake
from .detectors import O2, SQL_COLUMNS, Row
from .rules import OffsiteRules, rules

DEVICE_COLUMNS = ("mn", "factor", "data_time", "value", "vmin", "vmax", "zs_value", "flag")


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _flags(flags) -> str:
    return ", ".join(f"'{f}'" for f in flags)


def hourly_sql(start: datetime, end: datetime, r: OffsiteRules | None = None) -> str:
    r = r or rules()
    v = r.validity.on(start.date())
    o = r.out_of_range
    tol = r.o2_dilution.mismatch_tolerance
    ranges = " ".join(f"WHEN m.factor = '{f}' THEN (m.value < {lo} OR m.value > {hi})" for f, (lo, hi) in o.ranges.items())
    return f"""
WITH ranked AS (
  SELECT mn, factor, data_time, value, zs_value, flag,
         row_number() OVER (PARTITION BY mn, factor, data_time ORDER BY received_at) AS copy
  FROM minute
  WHERE data_time >= TIMESTAMP '{_ts(start)}' AND data_time < TIMESTAMP '{_ts(end)}'
), m AS (
  SELECT mn, factor, data_time, value, zs_value, flag, date_trunc('hour', data_time) AS hour,
         minute(data_time) AS mi,
         (flag IS NULL OR flag NOT IN ({_flags(v.invalid_flags)})) AS valid,
         (flag IS NULL OR flag NOT IN ({_flags(o.ignore_flags)})) AS judged
  FROM ranked WHERE copy = 1
), o2 AS (
  SELECT mn, data_time, value AS o2 FROM m WHERE factor = '{O2}'
)
SELECT m.mn, m.factor, m.hour,
  count(*) AS n_total,
  count_if(m.valid) AS n_valid,
  round(avg(CASE WHEN m.valid THEN m.value END), 6) AS avg_value,
  round(avg(CASE WHEN m.valid THEN m.zs_value END), 6) AS avg_zs,
  min(CASE WHEN m.valid THEN m.value END) AS min_value,
  max(CASE WHEN m.valid THEN m.value END) AS max_value,
  round(avg(m.value), 6) AS avg_raw,
  round(avg(m.zs_value), 6) AS avg_zs_raw,
  max(m.value) AS max_raw,
  min(m.value) AS min_raw,
  count_if(m.flag IN ({_flags(v.stop_flags)})) AS n_stop,
  count_if(m.flag IN ({_flags(v.maintenance_flags)})) AS n_maint,
  count_if(m.judged AND (CASE {ranges} ELSE (m.value < {o.default_min}
           OR (l.limit IS NOT NULL AND m.value > {o.limit_multiple} * l.limit)) END)) AS n_out,
  count_if(m.valid AND l.ref_o2 IS NOT NULL AND m.zs_value IS NOT NULL AND o2.o2 IS NOT NULL AND o2.o2 < 20.5
           AND abs(m.zs_value - m.value * (21 - l.ref_o2) / (21 - o2.o2))
               > {tol} * abs(m.value * (21 - l.ref_o2) / (21 - o2.o2)) + 0.001) AS n_zs_bad,
  count_if(m.valid AND l.ref_o2 IS NOT NULL AND m.zs_value IS NOT NULL AND o2.o2 IS NOT NULL
           AND o2.o2 < 20.5) AS n_zs_checked,
  min(m.mi) AS first_min,
  max(m.mi) AS last_min
FROM m
LEFT JOIN o2 ON o2.mn = m.mn AND o2.data_time = m.data_time
LEFT JOIN limits l ON l.mn = m.mn AND l.factor = m.factor
GROUP BY m.mn, m.factor, m.hour
"""


def device_sql(view: str, start: datetime, end: datetime) -> str:
    """Device-computed hourly (2061) or daily (2031) values, first received copy."""
    return f"""
WITH ranked AS (
  SELECT mn, factor, data_time, value, min AS vmin, max AS vmax, zs_value, flag,
         row_number() OVER (PARTITION BY mn, factor, data_time ORDER BY received_at) AS copy
  FROM {view}
  WHERE data_time >= TIMESTAMP '{_ts(start)}' AND data_time < TIMESTAMP '{_ts(end)}'
)
SELECT mn, factor, data_time, value, vmin, vmax, zs_value, flag FROM ranked WHERE copy = 1
"""


def _naive(t):
    return t.replace(tzinfo=None) if getattr(t, "tzinfo", None) is not None else t


def _normalise(rows, columns) -> list[tuple]:
    """Engine-independent values: floats rounded (sum order differs between engines)."""
    out = []
    ints = {"n_total", "n_valid", "n_stop", "n_maint", "n_out", "n_zs_bad", "n_zs_checked", "first_min", "last_min"}
    floats = {"avg_value", "avg_zs", "min_value", "max_value", "avg_raw", "avg_zs_raw", "max_raw", "min_raw",
              "value", "vmin", "vmax", "zs_value"}
    for r in rows:
        r = list(r)
        for i, c in enumerate(columns):
            if c in floats and r[i] is not None:
                r[i] = round(float(r[i]), 6)
            elif c in ints:
                r[i] = int(r[i] or 0)
            elif c in ("hour", "data_time"):
                r[i] = _naive(r[i])
        out.append(tuple(r))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return out


@dataclass
class Limits:
    """mn → factor → (limit, ref_o2), each emission point's linked power meters
    (point mn → [(meter mn, meter factor, role production|treatment)]), and the emission standard
    that sets each limit ((mn, factor) → standard text as the registry records it)."""
    table: dict[str, dict[str, tuple[float | None, float | None]]]
    links: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    standards: dict[tuple[str, str], str] = field(default_factory=dict)

    def standard(self, mn: str, factor: str) -> str:
        return self.standards.get((mn, factor), "")

    def rows(self) -> list[dict]:
        return [{"mn": mn, "factor": f, "limit": lim, "ref_o2": ref}
                for mn, fs in self.table.items() for f, (lim, ref) in fs.items()]

    def get(self, mn: str, factor: str) -> tuple[float | None, float | None]:
        return self.table.get(mn, {}).get(factor, (None, None))

    def known(self) -> set[str]:
        return set(self.table) | {m for ls in self.links.values() for m, _f, _r in ls}


@dataclass
class Raw:
    """What an engine returns: minute aggregates per hour and device hourly/daily rows."""
    minute: list[tuple]
    hour: list[tuple]
    day: list[tuple]


def _files(lake_root: Path, kind: str, start: datetime, end: datetime) -> list[str]:
    lo, hi = start.date().isoformat(), end.date().isoformat()
    return sorted(str(p) for p in Path(lake_root).glob(f"{kind}/date=*/*.parquet") if lo <= p.parent.name[5:] <= hi)


def _limits_arrow(limits: Limits):
    import pyarrow as pa

    return pa.Table.from_pylist(limits.rows(), schema=pa.schema([
        ("mn", pa.string()), ("factor", pa.string()), ("limit", pa.float64()), ("ref_o2", pa.float64())]))


def duckdb_raw(lake_root: Path, limits: Limits, start: datetime, end: datetime, con=None) -> Raw:
    import duckdb

    # bounded memory whatever the lake's size: DuckDB spills beyond this instead of growing
    con = con or duckdb.connect(config={"memory_limit": os.environ.get("GREENSWORD_DUCKDB_MEMORY", "3GB")})
    con.register("limits", _limits_arrow(limits))
    out = {}
    for kind, view in (("minute", "minute"), ("hour", "devhour"), ("day", "devday")):
        files = _files(lake_root, kind, start - (timedelta(days=1) if kind == "day" else timedelta(0)), end)
        if not files:
            out[kind] = []
            continue
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet([{listing}], hive_partitioning = false)")
        if kind == "minute":        # averages rounded in SQL; DuckDB gives ints and naive times as they are
            out[kind] = con.execute(hourly_sql(start, end)).fetchall()
        else:
            lo = start.replace(hour=0) if kind == "day" else start
            out[kind] = con.execute(device_sql(view, lo, end)).fetchall()
    return Raw(out["minute"], out["hour"], out["day"])


def spark_raw(spark, lake_root: Path, limits: Limits, start: datetime, end: datetime) -> Raw:
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    schema = StructType([StructField("mn", StringType()), StructField("factor", StringType()),
                         StructField("limit", DoubleType()), StructField("ref_o2", DoubleType())])
    spark.createDataFrame([(r["mn"], r["factor"], r["limit"], r["ref_o2"]) for r in limits.rows()],
                          schema).createOrReplaceTempView("limits")
    out = {}
    for kind, view in (("minute", "minute"), ("hour", "devhour"), ("day", "devday")):
        files = _files(lake_root, kind, start - (timedelta(days=1) if kind == "day" else timedelta(0)), end)
        days = sorted({str(Path(f).parent) for f in files})
        if not days:
            out[kind] = []
            continue
        spark.read.schema(_spark_schema()).parquet(*days).createOrReplaceTempView(view)
        if kind == "minute":
            out[kind] = _normalise((tuple(r) for r in spark.sql(hourly_sql(start, end)).collect()), SQL_COLUMNS)
        else:
            lo = start.replace(hour=0) if kind == "day" else start
            out[kind] = _normalise((tuple(r) for r in spark.sql(device_sql(view, lo, end)).collect()), DEVICE_COLUMNS)
    return Raw(out["minute"], out["hour"], out["day"])


def duckdb_hourly(lake_root: Path, limits: Limits, start: datetime, end: datetime, con=None) -> list[tuple]:
    """The minute aggregates alone (the part both engines compute; compared in the parity test)."""
    return duckdb_raw(lake_root, limits, start, end, con).minute


def spark_hourly(spark, lake_root: Path, limits: Limits, start: datetime, end: datetime) -> list[tuple]:
    return spark_raw(spark, lake_root, limits, start, end).minute


def _spark_schema():
    from pyspark.sql.types import (
        BooleanType,
        DoubleType,
        StringType,
        StructField,
        StructType,
        TimestampNTZType,
    )

    types = {"string": StringType(), "double": DoubleType(), "timestamp[us]": TimestampNTZType(),
             "bool": BooleanType()}
    return StructType([StructField(f.name, types[str(f.type)]) for f in lake.SCHEMA])


def spark_session():
    """A local Spark session for tests and single-machine runs (SPARK_MASTER for a cluster)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
            .appName("greensword-offsite")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
            .getOrCreate())


# ---------------------------------------------------------------- engine-independent assembly

def _snap(step: float, allowed: list[int]) -> int:
    best, gap = allowed[0], abs(allowed[0] - step)
    for a in allowed[1:]:
        if abs(a - step) < gap:
            best, gap = a, abs(a - step)
    return best


def infer_intervals(minute: list[tuple], allowed: list[int]) -> dict[tuple[str, object], int]:
    """(mn, day) → sample interval in minutes, and (mn, None) → the point's overall interval.

    An hour's step is (last − first minute) / (samples − 1); gaps only lengthen it, so the day's
    smallest step snapped to an allowed interval is the interval (MinInterval) in use that day."""
    best: dict[tuple[str, object], float] = {}
    i_n, i_first, i_last = (SQL_COLUMNS.index(c) for c in ("n_total", "first_min", "last_min"))
    for t in minute:
        n, first, last = t[i_n], t[i_first], t[i_last]
        if n < 2 or last <= first:
            continue
        step = (last - first) / (n - 1)
        for k in ((t[0], t[2].date()), (t[0], None)):
            if step < best.get(k, 1e9):
                best[k] = step
    return {k: _snap(v, allowed) for k, v in best.items()}


def assemble(raw: Raw, limits: Limits, r: OffsiteRules, day0, *, intervals: dict[str, int] | None = None,
             known: set[str] | None = None) -> tuple[list[Row], dict, dict]:
    """Rows for the detectors, daily device values, and what was skipped (unknown MNs)."""
    v = r.validity.on(day0)
    allowed = sorted(v.intervals)
    allowed_set = set(allowed)
    keep = known if known is not None else limits.known()
    skipped: dict[str, set] = {"unknown_mn": set()}
    minute = []
    for t in raw.minute:
        if t[0] in keep:
            minute.append(t)
        else:
            skipped["unknown_mn"].add(t[0])
    inferred = infer_intervals(minute, allowed)
    reported = intervals or {}
    rows: dict[tuple, Row] = {}
    for t in minute:
        row = Row(*t)
        mn, hour = row.mn, row.hour
        step = None
        if row.n_total >= 3 and row.last_min > row.first_min:
            s = (row.last_min - row.first_min) / (row.n_total - 1)
            if s == int(s) and int(s) in allowed_set:
                step = int(s)                                  # an evenly spaced hour speaks for itself
        day_step = inferred.get((mn, hour.date())) or inferred.get((mn, None)) or 60
        iv = reported.get(mn) or max(step or day_step, day_step)
        row.interval = iv
        row.covered = min(60, row.n_valid * iv)
        rows[(mn, row.factor, hour)] = row
    # device hourly values (2061)
    dev: dict[tuple, tuple] = {}
    o2dev: dict[tuple, float] = {}
    for t in raw.hour:
        mn, factor, when = t[0], t[1], t[2]
        if mn not in keep:
            skipped["unknown_mn"].add(mn)
            continue
        hour = when.replace(minute=0, second=0, microsecond=0)
        dev[(mn, factor, hour)] = t
        if factor == O2 and t[3] is not None:
            steady = t[4] is None or t[5] is None or t[5] - t[4] <= r.o2_dilution.hourly_o2_max_range
            o2dev[(mn, hour)] = t[3] if steady else None
    invalid, stop, maint = set(v.invalid_flags), set(v.stop_flags), set(v.maintenance_flags)
    o = r.out_of_range
    tol = r.o2_dilution.mismatch_tolerance
    for (mn, factor, hour), t in dev.items():
        value, vmin, vmax, zs, flag = t[3], t[4], t[5], t[6], t[7]
        ok = value is not None and (flag is None or flag not in invalid)
        row = rows.get((mn, factor, hour))
        if row is not None and (ok and row.covered >= v.minutes_per_valid_hour):
            row.source, row.dev_value = "both", value
            continue
        if row is not None and not ok:
            row.n_stop += int(flag in stop)                      # the device's own flag excuses the hour
            row.n_maint += int(flag in maint)
            continue
        limit, ref = limits.get(mn, factor)
        lo, hi = o.ranges.get(factor, (o.default_min, None))
        judged = flag is None or flag not in o.ignore_flags
        out = judged and value is not None and (value < lo or (hi is not None and value > hi)
                                                or (hi is None and limit and value > o.limit_multiple * limit))
        zs_bad = zs_checked = 0
        o2 = o2dev.get((mn, hour))
        if ok and ref is not None and zs is not None and o2 is not None and o2 < 20.5:
            expected = value * (21 - ref) / (21 - o2)
            zs_checked = 1
            zs_bad = int(abs(zs - expected) > tol * abs(expected) + 0.001)
        new = Row(mn, factor, hour, 1, int(ok), value if ok else None, zs if ok else None,
                  vmin if ok else None, vmax if ok else None,
                  value, zs, vmax if vmax is not None else value, vmin if vmin is not None else value,
                  int(flag in stop), int(flag in maint), int(bool(out)), zs_bad, zs_checked, 0, 0,
                  interval=60, covered=60 if ok else 0, source="hour", dev_value=value)
        if row is not None:                                      # minutes incomplete: the device's value stands
            new.n_stop += row.n_stop
            new.n_maint += row.n_maint
            new.n_out += row.n_out
        rows[(mn, factor, hour)] = new
    days: dict[tuple[str, str], dict] = defaultdict(dict)
    for t in raw.day:
        if t[0] in keep:
            days[(t[0], t[1])][t[2].date()] = (t[3], t[7])
    return list(rows.values()), dict(days), skipped
