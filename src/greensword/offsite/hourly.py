"""The heavy step of off-site screening: minute data → one row per (MN, factor, hour) with what
every detector needs (HJ 75 validity, averages of valid minutes, flags, out-of-range and
reference-oxygen mismatch counts). The same SQL text runs on DuckDB (in-process, over the Parquet
lake) and on Spark SQL (local or a cluster), so both engines feed the same pure detectors.

Minute rows may repeat (a back-filled re-send); the first received copy counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..hj212 import lake
from .rules import rules

COLUMNS = ["mn", "factor", "hour", "n_total", "n_valid", "avg_value", "avg_zs", "min_value", "max_value",
           "avg_raw", "max_raw", "n_stop", "n_maint", "n_out", "n_zs_bad", "n_zs_checked"]


def hourly_sql(start: datetime, end: datetime) -> str:
    r = rules()
    invalid = ", ".join(f"'{f}'" for f in r.validity["invalid_flags"])
    maint = ", ".join(f"'{f}'" for f in r.flag_abuse["flags"])
    tol = float(r.o2_dilution["mismatch_tolerance"])
    ranges = " ".join(f"WHEN m.factor = '{f}' THEN (m.value < {lo} OR m.value > {hi})"
                      for f, (lo, hi) in r.out_of_range["ranges"].items())
    default_min = float(r.out_of_range["default_min"])
    lo, hi = start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")
    return f"""
WITH ranked AS (
  SELECT mn, factor, data_time, value, zs_value, flag,
         row_number() OVER (PARTITION BY mn, factor, data_time ORDER BY received_at) AS copy
  FROM minute
  WHERE data_time >= TIMESTAMP '{lo}' AND data_time < TIMESTAMP '{hi}'
), m AS (
  SELECT mn, factor, data_time, value, zs_value, flag, date_trunc('hour', data_time) AS hour,
         (flag IS NULL OR flag NOT IN ({invalid})) AS valid
  FROM ranked WHERE copy = 1
), o2 AS (
  SELECT mn, data_time, value AS o2 FROM m WHERE factor = 'a19001'
)
SELECT m.mn, m.factor, m.hour,
  count(*) AS n_total,
  count_if(m.valid) AS n_valid,
  avg(CASE WHEN m.valid THEN m.value END) AS avg_value,
  avg(CASE WHEN m.valid THEN m.zs_value END) AS avg_zs,
  min(CASE WHEN m.valid THEN m.value END) AS min_value,
  max(CASE WHEN m.valid THEN m.value END) AS max_value,
  avg(m.value) AS avg_raw,
  max(m.value) AS max_raw,
  count_if(m.flag = 'F') AS n_stop,
  count_if(m.flag IN ({maint})) AS n_maint,
  count_if(CASE {ranges} ELSE m.value < {default_min} END) AS n_out,
  count_if(l.ref_o2 IS NOT NULL AND m.zs_value IS NOT NULL AND o2.o2 IS NOT NULL AND o2.o2 < 20.9
           AND abs(m.zs_value - m.value * (21 - l.ref_o2) / (21 - o2.o2))
               > {tol} * abs(m.value * (21 - l.ref_o2) / (21 - o2.o2)) + 0.001) AS n_zs_bad,
  count_if(l.ref_o2 IS NOT NULL AND m.zs_value IS NOT NULL AND o2.o2 IS NOT NULL AND o2.o2 < 20.9) AS n_zs_checked
FROM m
LEFT JOIN o2 ON o2.mn = m.mn AND o2.data_time = m.data_time
LEFT JOIN limits l ON l.mn = m.mn AND l.factor = m.factor
GROUP BY m.mn, m.factor, m.hour
"""


def _normalise(rows) -> list[tuple]:
    """Engine-independent values: floats rounded (sum order differs between engines)."""
    out = []
    for r in rows:
        r = list(r)
        for i in (5, 6, 7, 8, 9, 10):
            if r[i] is not None:
                r[i] = round(float(r[i]), 6)
        for i in (3, 4, 11, 12, 13, 14, 15):
            r[i] = int(r[i] or 0)
        hour = r[2]
        if getattr(hour, "tzinfo", None) is not None:
            hour = hour.replace(tzinfo=None)
        r[2] = hour
        out.append(tuple(r))
    out.sort(key=lambda t: (t[0], t[1], t[2]))
    return out


@dataclass
class Limits:
    """mn → factor → (limit, ref_o2); a point may also list its linked power MN."""
    table: dict[str, dict[str, tuple[float | None, float | None]]]

    def rows(self) -> list[dict]:
        return [{"mn": mn, "factor": f, "limit": lim, "ref_o2": ref}
                for mn, fs in self.table.items() for f, (lim, ref) in fs.items()]

    def get(self, mn: str, factor: str) -> tuple[float | None, float | None]:
        return self.table.get(mn, {}).get(factor, (None, None))


def duckdb_hourly(lake_root: Path, limits: Limits, start: datetime, end: datetime, con=None) -> list[tuple]:
    import duckdb
    import pyarrow as pa

    # bounded memory whatever the lake's size: DuckDB spills beyond this instead of growing
    con = con or duckdb.connect(config={"memory_limit": os.environ.get("GREENSWORD_DUCKDB_MEMORY", "3GB")})
    files = [str(p) for p in Path(lake_root).glob("minute/date=*/*.parquet")
             if start.date().isoformat() <= p.parent.name[5:] <= end.date().isoformat()]
    if not files:
        return []
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con.execute(f"CREATE OR REPLACE VIEW minute AS SELECT * FROM read_parquet([{listing}], hive_partitioning = false)")
    lim = pa.Table.from_pylist(limits.rows(), schema=pa.schema([
        ("mn", pa.string()), ("factor", pa.string()), ("limit", pa.float64()), ("ref_o2", pa.float64())]))
    con.register("limits", lim)
    return _normalise(con.execute(hourly_sql(start, end)).fetchall())


def spark_hourly(spark, lake_root: Path, limits: Limits, start: datetime, end: datetime) -> list[tuple]:
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    days = sorted({p.parent for p in Path(lake_root).glob("minute/date=*/*.parquet")
                   if start.date().isoformat() <= p.parent.name[5:] <= end.date().isoformat()})
    if not days:
        return []
    df = spark.read.schema(_spark_schema()).parquet(*[str(d) for d in days])
    df.createOrReplaceTempView("minute")
    schema = StructType([StructField("mn", StringType()), StructField("factor", StringType()),
                         StructField("limit", DoubleType()), StructField("ref_o2", DoubleType())])
    spark.createDataFrame([(r["mn"], r["factor"], r["limit"], r["ref_o2"]) for r in limits.rows()],
                          schema).createOrReplaceTempView("limits")
    return _normalise(tuple(r) for r in spark.sql(hourly_sql(start, end)).collect())


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
    import os

    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
            .appName("greensword-offsite")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "2g"))
            .getOrCreate())
