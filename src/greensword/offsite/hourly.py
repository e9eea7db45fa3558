"""The heavy step of off-site screening: monitoring data → one row per (MN, factor, hour) with what
every detector needs.

Minute data (CN 2051, and real-time 2011 folded into it) are aggregated in SQL: the same text runs
on DuckDB (over the Parquet lake) and on Spark SQL, so both engines feed the same detectors. Both
return Arrow tables; then one engine-independent assembly (``assemble_sql``, run by an in-process
DuckDB over those tables) builds the detectors' hourly table, kept in columns:

* each point's sample interval is inferred per day (1/5/10/15/30 min — HJ 212 MinInterval — from
  the spacing of its samples, or taken from the MinInterval setting the device reported, stored in
  the lake as kind ``setting``) and an hour
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

import pyarrow as pa
import pyarrow.compute as pc

from ..hj212 import lake
from .detectors import HOURLY_SCHEMA, O2, SQL_COLUMNS
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
         data_time IS DISTINCT FROM lag(data_time) OVER (PARTITION BY mn, factor ORDER BY data_time, received_at)
           AS first_copy   -- the first received copy; one sort per series, not a window per minute (3x faster)
  FROM minute
  WHERE data_time >= TIMESTAMP '{_ts(start)}' AND data_time < TIMESTAMP '{_ts(end)}'
), m AS (
  SELECT mn, factor, data_time, value, zs_value, flag, date_trunc('hour', data_time) AS hour,
         minute(data_time) AS mi,
         (flag IS NULL OR flag NOT IN ({_flags(v.invalid_flags)})) AS valid,
         (flag IS NULL OR flag NOT IN ({_flags(o.ignore_flags)})) AS judged
  FROM ranked WHERE first_copy
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


#: Arrow schemas of what the engines return (Spark and DuckDB rows normalised to these).
MINUTE_SCHEMA = pa.schema(list(HOURLY_SCHEMA)[:len(SQL_COLUMNS)])
DEVICE_SCHEMA = pa.schema([(c, pa.string() if c in ("mn", "factor", "flag") else pa.timestamp("us")
                            if c == "data_time" else pa.float64()) for c in DEVICE_COLUMNS])


@dataclass
class Raw:
    """What an engine returns: minute aggregates per hour (MINUTE_SCHEMA) and device hourly/daily
    rows (DEVICE_SCHEMA), as Arrow tables."""
    minute: pa.Table
    hour: pa.Table
    day: pa.Table

    def since(self, t: datetime) -> Raw:
        """Minute aggregates and device hourly rows from ``t`` on (the context kept between windows)."""
        ts = pa.scalar(t, pa.timestamp("us"))
        return Raw(self.minute.filter(pc.greater_equal(self.minute["hour"], ts)),
                   self.hour.filter(pc.greater_equal(self.hour["data_time"], ts)), DEVICE_SCHEMA.empty_table())

    def __add__(self, other: Raw) -> Raw:
        return Raw(pa.concat_tables([self.minute, other.minute]), pa.concat_tables([self.hour, other.hour]),
                   pa.concat_tables([self.day, other.day]))


def tuples(table: pa.Table) -> list[tuple]:
    """Rows as sorted tuples (tests compare engines with this)."""
    cols = [c.to_pylist() for c in table.columns]
    return sorted(zip(*cols, strict=True)) if cols else []


def _arrow(rows, schema: pa.Schema) -> pa.Table:
    if isinstance(rows, pa.Table):
        return rows.select(schema.names).cast(schema)
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(cols, schema, strict=True)],
                                schema=schema)


def lake_intervals(lake_root: Path, end: datetime) -> list[tuple[str, datetime, int]]:
    """MinInterval settings the devices reported (lake kind ``setting``) up to ``end``:
    (mn, in force from, minutes). Lakes written before settings were stored have none."""
    import pyarrow.parquet as pq

    files = _files(lake_root, "setting", datetime(1900, 1, 1), end)
    out = []
    for f in files:
        t = pq.read_table(f, columns=["mn", "factor", "data_time", "value"])
        for mn, factor, when, value in zip(*(t[c].to_pylist() for c in t.column_names), strict=True):
            if factor == "MinInterval" and value is not None and value > 0 and when < end:
                out.append((mn, when, int(round(value))))
    return sorted(set(out))


def _files(lake_root: Path, kind: str, start: datetime, end: datetime) -> list[str]:
    lo, hi = start.date().isoformat(), end.date().isoformat()
    return sorted(str(p) for p in Path(lake_root).glob(f"{kind}/date=*/*.parquet") if lo <= p.parent.name[5:] <= hi)


def _limits_arrow(limits: Limits):
    import pyarrow as pa

    return pa.Table.from_pylist(limits.rows(), schema=pa.schema([
        ("mn", pa.string()), ("factor", pa.string()), ("limit", pa.float64()), ("ref_o2", pa.float64())]))


def _duckdb(con=None):
    import duckdb

    # bounded memory whatever the lake's size: DuckDB spills beyond this instead of growing
    return con or duckdb.connect(config={"memory_limit": os.environ.get("GREENSWORD_DUCKDB_MEMORY", "3GB")})


def duckdb_raw(lake_root: Path, limits: Limits, start: datetime, end: datetime, con=None) -> Raw:
    con = _duckdb(con)
    con.register("limits", _limits_arrow(limits))
    out = {}
    for kind, view in (("minute", "minute"), ("hour", "devhour"), ("day", "devday")):
        schema = MINUTE_SCHEMA if kind == "minute" else DEVICE_SCHEMA
        files = _files(lake_root, kind, start - (timedelta(days=1) if kind == "day" else timedelta(0)), end)
        if not files:
            out[kind] = schema.empty_table()
            continue
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet([{listing}], hive_partitioning = false)")
        if kind == "minute":        # averages rounded in SQL; DuckDB gives ints and naive times as they are
            out[kind] = _arrow(con.sql(hourly_sql(start, end)).to_arrow_table(), schema)
        else:
            lo = start.replace(hour=0) if kind == "day" else start
            out[kind] = _arrow(con.sql(device_sql(view, lo, end)).to_arrow_table(), schema)
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
        schema = MINUTE_SCHEMA if kind == "minute" else DEVICE_SCHEMA
        if not days:
            out[kind] = schema.empty_table()
            continue
        spark.read.schema(_spark_schema()).parquet(*days).createOrReplaceTempView(view)
        if kind == "minute":
            rows = _normalise((tuple(r) for r in spark.sql(hourly_sql(start, end)).collect()), SQL_COLUMNS)
        else:
            lo = start.replace(hour=0) if kind == "day" else start
            rows = _normalise((tuple(r) for r in spark.sql(device_sql(view, lo, end)).collect()), DEVICE_COLUMNS)
        out[kind] = _arrow(rows, schema)
    return Raw(out["minute"], out["hour"], out["day"])


def duckdb_hourly(lake_root: Path, limits: Limits, start: datetime, end: datetime, con=None) -> list[tuple]:
    """The minute aggregates alone (the part both engines compute; compared in the parity test)."""
    return tuples(duckdb_raw(lake_root, limits, start, end, con).minute)


def spark_hourly(spark, lake_root: Path, limits: Limits, start: datetime, end: datetime) -> list[tuple]:
    return tuples(spark_raw(spark, lake_root, limits, start, end).minute)


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

def _in(flags) -> str:
    return f"({_flags(flags)})" if flags else "(NULL)"


def assemble_sql(r: OffsiteRules, day0) -> str:
    """Minute aggregates + device hourly rows → the detectors' hourly table (one row per point,
    factor and hour), run by an in-process DuckDB over Arrow tables whichever engine read the lake.

    * Interval: MinInterval where reported (the setting in force at the hour); else an evenly spaced hour speaks for itself
      ((last − first minute) / (samples − 1) an allowed interval), and otherwise the day's
      smallest step snapped to the nearest allowed interval (gaps only lengthen a step), else the
      point's overall smallest step, else 60. An hour's covered minutes = valid samples × interval.
    * A device hourly value (2061) is kept beside minutes that make a valid hour (source both);
      an invalid device value only adds its stop/maintenance mark to the minutes; otherwise the
      device value stands for the hour (source hour), keeping the minutes' marks and out-of-range
      count. Its 折算 value is checked against the device's O2 where that O2 stayed steady."""
    v = r.validity.on(day0)
    o = r.out_of_range
    tol = r.o2_dilution.mismatch_tolerance
    allowed = ", ".join(f"({a})" for a in sorted(v.intervals))
    lo = " ".join(f"WHEN '{f}' THEN {a}" for f, (a, _b) in o.ranges.items())
    hi = " ".join(f"WHEN '{f}' THEN {b}" for f, (_a, b) in o.ranges.items())
    stop, maint, invalid = _in(v.stop_flags), _in(v.maintenance_flags), _in(v.invalid_flags)
    cols = ", ".join(f"m.{c}" for c in SQL_COLUMNS[3:])
    return f"""
WITH allowed(iv) AS (VALUES {allowed}),
agg AS (SELECT a.* FROM agg_in a SEMI JOIN known k ON k.mn = a.mn),
steps AS (
  SELECT mn, CAST(hour AS DATE) AS d, CAST(last_min - first_min AS DOUBLE) / (n_total - 1) AS step
  FROM agg WHERE n_total >= 2 AND last_min > first_min
),
best_day AS (SELECT mn, d, min(step) AS step FROM steps GROUP BY mn, d),
best_all AS (SELECT mn, min(step) AS step FROM steps GROUP BY mn),
snap_day AS (SELECT b.mn, b.d, first(a.iv ORDER BY abs(a.iv - b.step), a.iv) AS iv
             FROM best_day b CROSS JOIN allowed a GROUP BY b.mn, b.d),
snap_all AS (SELECT b.mn, first(a.iv ORDER BY abs(a.iv - b.step), a.iv) AS iv
             FROM best_all b CROSS JOIN allowed a GROUP BY b.mn),
own AS (
  SELECT agg.*, CASE WHEN n_total >= 3 AND last_min > first_min
                     THEN CAST(last_min - first_min AS DOUBLE) / (n_total - 1) END AS s
  FROM agg
),
m AS (
  SELECT own.* EXCLUDE (s),
         coalesce(nullif(rep.iv, 0),
                  greatest(coalesce(CASE WHEN s = floor(s) AND CAST(s AS BIGINT) IN (SELECT iv FROM allowed)
                                         THEN CAST(s AS BIGINT) END, coalesce(sd.iv, sa.iv, 60)),
                           coalesce(sd.iv, sa.iv, 60))) AS interval
  FROM own
  LEFT JOIN snap_day sd ON sd.mn = own.mn AND sd.d = CAST(own.hour AS DATE)
  LEFT JOIN snap_all sa ON sa.mn = own.mn
  ASOF LEFT JOIN reported rep ON rep.mn = own.mn AND own.hour >= rep.since
),
dev AS (
  SELECT d.*, date_trunc('hour', data_time) AS hour FROM dev_in d SEMI JOIN known k ON k.mn = d.mn
  QUALIFY row_number() OVER (PARTITION BY mn, factor, date_trunc('hour', data_time) ORDER BY data_time DESC) = 1
),
o2dev AS (
  SELECT mn, hour, CASE WHEN vmin IS NULL OR vmax IS NULL OR vmax - vmin <= {r.o2_dilution.hourly_o2_max_range}
                        THEN value END AS o2
  FROM dev WHERE factor = '{O2}' AND value IS NOT NULL
),
d AS (
  SELECT dev.*, (value IS NOT NULL AND (flag IS NULL OR flag NOT IN {invalid})) AS ok,
         coalesce(flag IN {stop}, false) AS is_stop, coalesce(flag IN {maint}, false) AS is_maint,
         o2dev.o2, l.limit AS lim, l.ref_o2,
         CASE factor {lo} ELSE {o.default_min} END AS lo, CASE factor {hi} ELSE NULL END AS hi
  FROM dev
  LEFT JOIN o2dev USING (mn, hour)
  LEFT JOIN limits l USING (mn, factor)
),
d2 AS (
  SELECT d.*,
    coalesce((flag IS NULL OR flag NOT IN {_in(o.ignore_flags)}) AND value IS NOT NULL
             AND (value < lo OR (hi IS NOT NULL AND value > hi)
                  OR (hi IS NULL AND coalesce(lim, 0) <> 0 AND value > {o.limit_multiple} * lim)), false) AS out,
    (ok AND ref_o2 IS NOT NULL AND zs_value IS NOT NULL AND o2 IS NOT NULL AND o2 < 20.5) AS zs_checked,
    CASE WHEN ok AND ref_o2 IS NOT NULL AND zs_value IS NOT NULL AND o2 IS NOT NULL AND o2 < 20.5
         THEN abs(zs_value - value * (21 - ref_o2) / (21 - o2))
              > {tol} * abs(value * (21 - ref_o2) / (21 - o2)) + 0.001 ELSE false END AS zs_bad
  FROM d
),
j AS (
  SELECT coalesce(m.mn, d2.mn) AS mn, coalesce(m.factor, d2.factor) AS factor, coalesce(m.hour, d2.hour) AS hour,
         m.mn IS NOT NULL AS has_m, d2.mn IS NOT NULL AS has_d,
         {cols}, m.interval, least(60, m.n_valid * m.interval) AS covered,
         d2.value AS d_value, d2.vmin AS d_vmin, d2.vmax AS d_vmax, d2.zs_value AS d_zs, d2.ok, d2.is_stop,
         d2.is_maint, d2.out AS d_out, d2.zs_checked AS d_zs_checked, d2.zs_bad AS d_zs_bad
  FROM m FULL OUTER JOIN d2 ON m.mn = d2.mn AND m.factor = d2.factor AND m.hour = d2.hour
),
k AS (
  SELECT *, CASE WHEN NOT has_d THEN 'minute'
                 WHEN has_m AND ok AND covered >= {v.minutes_per_valid_hour} THEN 'both'
                 WHEN has_m AND NOT ok THEN 'marks'
                 ELSE 'hour' END AS source
  FROM j
)
SELECT mn, factor, hour,
  CASE WHEN source = 'hour' THEN 1 ELSE n_total END AS n_total,
  CASE WHEN source = 'hour' THEN CAST(ok AS BIGINT) ELSE n_valid END AS n_valid,
  CASE WHEN source = 'hour' THEN CASE WHEN ok THEN d_value END ELSE avg_value END AS avg_value,
  CASE WHEN source = 'hour' THEN CASE WHEN ok THEN d_zs END ELSE avg_zs END AS avg_zs,
  CASE WHEN source = 'hour' THEN CASE WHEN ok THEN d_vmin END ELSE min_value END AS min_value,
  CASE WHEN source = 'hour' THEN CASE WHEN ok THEN d_vmax END ELSE max_value END AS max_value,
  CASE WHEN source = 'hour' THEN d_value ELSE avg_raw END AS avg_raw,
  CASE WHEN source = 'hour' THEN d_zs ELSE avg_zs_raw END AS avg_zs_raw,
  CASE WHEN source = 'hour' THEN coalesce(d_vmax, d_value) ELSE max_raw END AS max_raw,
  CASE WHEN source = 'hour' THEN coalesce(d_vmin, d_value) ELSE min_raw END AS min_raw,
  CASE WHEN source IN ('hour', 'marks') THEN CAST(is_stop AS BIGINT) + coalesce(n_stop, 0) ELSE n_stop END AS n_stop,
  CASE WHEN source IN ('hour', 'marks') THEN CAST(is_maint AS BIGINT) + coalesce(n_maint, 0) ELSE n_maint END
    AS n_maint,
  CASE WHEN source = 'hour' THEN CAST(d_out AS BIGINT) + coalesce(n_out, 0) ELSE n_out END AS n_out,
  CASE WHEN source = 'hour' THEN CAST(d_zs_bad AS BIGINT) ELSE n_zs_bad END AS n_zs_bad,
  CASE WHEN source = 'hour' THEN CAST(d_zs_checked AS BIGINT) ELSE n_zs_checked END AS n_zs_checked,
  CASE WHEN source = 'hour' THEN 0 ELSE first_min END AS first_min,
  CASE WHEN source = 'hour' THEN 0 ELSE last_min END AS last_min,
  CASE WHEN source = 'hour' THEN 60 ELSE interval END AS interval,
  CASE WHEN source = 'hour' THEN CASE WHEN ok THEN 60 ELSE 0 END ELSE covered END AS covered,
  CASE WHEN source = 'marks' THEN 'minute' ELSE source END AS source,
  CASE WHEN source IN ('hour', 'both') THEN d_value END AS dev_value
FROM k
ORDER BY mn, factor, hour
"""


def assemble(raw: Raw, limits: Limits, r: OffsiteRules, day0, *,
             intervals: dict[str, int] | list[tuple[str, datetime, int]] | None = None,
             known: set[str] | None = None) -> tuple[pa.Table, dict, dict]:
    """The detectors' hourly table (HOURLY_SCHEMA, sorted by point, factor, hour), daily device
    values, and what was skipped (unknown MNs)."""
    keep = known if known is not None else limits.known()
    known_t = pa.table({"mn": pa.array(sorted(keep), pa.string())})
    skipped: dict[str, set] = {"unknown_mn": set()}
    for t in (raw.minute, raw.hour):
        mns = pc.unique(t["mn"]).to_pylist()
        skipped["unknown_mn"].update(m for m in mns if m not in keep)
    settings = [(mn, x, iv) for mn, x, iv in (intervals or [])] if isinstance(intervals, list) else \
        [(mn, datetime(1900, 1, 1), iv) for mn, iv in (intervals or {}).items()]
    reported = pa.table({"mn": pa.array([x[0] for x in settings], pa.string()),
                         "since": pa.array([x[1] for x in settings], pa.timestamp("us")),
                         "iv": pa.array([x[2] for x in settings], pa.int64())})
    con = _duckdb()
    for name, t in (("agg_in", raw.minute), ("dev_in", raw.hour), ("known", known_t), ("reported", reported),
                    ("limits", _limits_arrow(limits))):
        con.register(name, t)
    table = _arrow(con.sql(assemble_sql(r, day0)).to_arrow_table(), HOURLY_SCHEMA)
    con.close()
    days: dict[tuple[str, str], dict] = defaultdict(dict)
    day = raw.day
    for mn, factor, when, value, flag in zip(*(day[c].to_pylist() for c in ("mn", "factor", "data_time", "value",
                                                                             "flag")), strict=True):
        if mn in keep:
            days[(mn, factor)][when.date()] = (value, flag)
    return table, dict(days), skipped
