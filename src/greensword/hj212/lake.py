"""The monitoring lake: append-only Parquet, hive-partitioned ``<root>/<kind>/date=YYYY-MM-DD/``,
long form — one row per (mn, factor, data_time, kind) with the HJ 212 fields kept.

This module is the contract between the gateway (writer) and the off-site detectors (readers).
Times are Asia/Shanghai wall-clock without offset (as HJ 212 DataTime is), so DuckDB and Spark
read identical values whatever their session time zone.
"""

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

#: kind → the HJ 212 command that carries it (2017 codes).
KINDS = {"rtd": "2011", "minute": "2051", "hour": "2061", "day": "2031", "status": "3020",
         "setting": "1063"}       # setting: MinInterval the device reports (factor MinInterval, value minutes)
#: seconds between records of each kind as the standard defines them (rtd: the logger's usual 30 s)
KIND_STEP_S = {"rtd": 30, "minute": 60, "hour": 3600, "day": 86400}

SCHEMA = pa.schema([
    pa.field("mn", pa.string(), nullable=False),
    pa.field("factor", pa.string(), nullable=False),            # 2017 factor code (2005 codes normalised)
    pa.field("data_time", pa.timestamp("us"), nullable=False),  # DataTime, Beijing wall-clock
    pa.field("kind", pa.string(), nullable=False),              # rtd | minute | hour | day | status | setting
    pa.field("value", pa.float64()),       # -Rtd for rtd, -Avg for minute/hour/day, status value
    pa.field("min", pa.float64()),         # -Min
    pa.field("max", pa.float64()),         # -Max
    pa.field("zs_value", pa.float64()),    # -ZsRtd / -ZsAvg (reference-oxygen corrected)
    pa.field("cou", pa.float64()),         # -Cou (emission amount)
    pa.field("flag", pa.string()),         # -Flag data flag: N F M S D C T B
    pa.field("eflag", pa.string()),        # -EFlag
    pa.field("sample_time", pa.timestamp("us")),
    pa.field("qn", pa.string()),
    pa.field("st", pa.string()),
    pa.field("cn", pa.string()),
    pa.field("edition", pa.string()),      # 2005 | 2017 | 2025
    pa.field("backfill", pa.bool_()),      # re-sent (补发) data, stored once, marked as such
    pa.field("received_at", pa.timestamp("us")),
    pa.field("extra", pa.string()),        # JSON of any other per-factor fields
])


def partition_dir(root: Path, kind: str, day: date) -> Path:
    return Path(root) / kind / f"date={day.isoformat()}"


def files_of(root: Path, kind: str, days: Iterable[date]) -> list[str]:
    """The Parquet files of ``kind`` for those days (each day's partition, if any)."""
    return [str(p) for d in days for p in sorted(partition_dir(root, kind, d).glob("*.parquet"))]


def read_parquet(files: Sequence[str]) -> str:
    """DuckDB's table expression over exactly these files."""
    return "read_parquet([" + ",".join("'" + f.replace("'", "''") + "'" for f in files) + "])"


#: Results of console reads (latest values, series, completeness), by query and the exact files
#: read with their sizes and modification times. Files are never rewritten (``write_rows`` adds
#: new ones), so an answer is reused only while it would be the same; a new upload adds a file
#: and the next read queries again. Per process, bounded; each read costs a stat per file.
_MEMO: OrderedDict[tuple, list] = OrderedDict()
_MEMO_MAX = 256
_memo_lock = threading.Lock()


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


def query(files: Sequence[str], sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Rows of ``sql`` (DuckDB) whose ``{src}`` stands for these Parquet files; the same query
    over unchanged files answers from memory. The rows are shared: read them, do not change them."""
    from ..core import duck

    sig = tuple((f, st.st_mtime_ns, st.st_size) for f in files for st in (os.stat(f),))
    key = (sql, _frozen(list(params)), sig)
    with _memo_lock:
        rows = _MEMO.get(key)
        if rows is not None:
            _MEMO.move_to_end(key)
            return rows
    rows = duck.fetchall(sql.format(src=read_parquet(files)), params)
    with _memo_lock:
        _MEMO[key] = rows
        while len(_MEMO) > _MEMO_MAX:
            _MEMO.popitem(last=False)
    return rows


def write_rows(root: Path, rows: Iterable[dict] | pa.Table, *, prefix: str = "part") -> list[Path]:
    """Append rows (dicts with SCHEMA's keys, or a Table of SCHEMA) as new files, one per
    (kind, date) partition. Never rewrites an existing file."""
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows), schema=SCHEMA)
    if table.num_rows == 0:
        return []
    table = table.select(SCHEMA.names).cast(SCHEMA)
    written = []
    days = pa.compute.strftime(table["data_time"], format="%Y-%m-%d")
    keys = pa.compute.binary_join_element_wise(table["kind"], days, "|")
    for key in pa.compute.unique(keys).to_pylist():
        kind, day = key.split("|")
        part = table.filter(pa.compute.equal(keys, key))
        d = partition_dir(root, kind, date.fromisoformat(day))
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{prefix}-{uuid.uuid4().hex}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(part, tmp, compression="zstd")
        tmp.replace(path)  # readers never see a half-written file
        written.append(path)
    return written


def glob(root: Path, kind: str) -> str:
    """Glob for DuckDB/Spark readers of one kind (hive partitioning gives the ``date`` column)."""
    return str(Path(root) / kind / "date=*" / "*.parquet")
