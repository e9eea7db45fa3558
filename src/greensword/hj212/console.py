"""What the console shows about monitoring: gateway counters, per-point status (online, last
packet, latest values against limits) and data completeness, read from the lake with DuckDB."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from ..core.timeutil import now
from . import lake, protocol


def gateway_status(settings) -> dict | None:
    path = settings.data_dir / "gateway" / "status.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _src(root: Path, kind: str, days: list[date]) -> str | None:
    files = [str(p) for d in days for p in lake.partition_dir(root, kind, d).glob("*.parquet")]
    if not files:
        return None
    return "read_parquet([" + ",".join("'" + f.replace("'", "''") + "'" for f in files) + "])"


@dataclass
class PointStatus:
    mn: str
    last_received: datetime | None = None
    last_data_time: datetime | None = None
    online: bool = False
    latest: dict[str, dict] = field(default_factory=dict)   # factor → value, zs_value, flag, data_time


def point_status(root: Path, mns: list[str], *, today: date | None = None,
                 seen: dict[str, datetime | None] | None = None) -> dict[str, PointStatus]:
    """Latest real-time (or minute) values of each MN over the last two days' partitions.
    ``seen``: the gateway's last-seen time per MN (hj212_device), which also counts keep-alives
    (empty uploads, vendor heartbeats) that put nothing in the lake: a device sending only those
    is online, though without data."""
    today = today or now().date()
    days = [today - timedelta(days=1), today]
    out = {mn: PointStatus(mn) for mn in mns}
    if not mns:
        return out
    con = duckdb.connect()
    cutoff = now().replace(tzinfo=None) - timedelta(minutes=protocol.rules().offline_after_minutes)
    for kind in ("minute", "rtd"):       # rtd last so it wins where both exist
        src = _src(root, kind, days)
        if src is None:
            continue
        rows = con.execute(
            f"select mn, factor, arg_max(value, data_time), arg_max(zs_value, data_time), "
            f"arg_max(flag, data_time), max(data_time), max(received_at) from {src} "
            f"where mn in (select unnest(?)) group by mn, factor", [mns]).fetchall()
        for mn, factor, value, zs, flag, dt, rec in rows:
            st = out[mn]
            st.latest[factor] = {"value": value, "zs_value": zs, "flag": flag, "data_time": dt, "kind": kind}
            st.last_data_time = max(filter(None, [st.last_data_time, dt]))
            st.last_received = max(filter(None, [st.last_received, rec]))
    for st in out.values():
        last = (seen or {}).get(st.mn)
        if last is not None and last.tzinfo is not None:
            last = last.astimezone(now().tzinfo).replace(tzinfo=None)
        st.online = bool((st.last_received and st.last_received >= cutoff) or (last and last >= cutoff))
    return out


def completeness(root: Path, mn: str, day: date) -> dict:
    """Per factor: minute records per hour (24 numbers) and the day's hour records."""
    con = duckdb.connect()
    rules = protocol.rules().completeness
    result: dict = {"day": day, "hours": {}, "hour_records": {}, "valid_hour": rules["minutes_per_hour_valid"],
                    "valid_day": rules["hours_per_day_valid"]}
    src = _src(root, "minute", [day])
    if src is not None:
        for factor, hour, n in con.execute(
                f"select factor, hour(data_time), count(distinct data_time) from {src} where mn = ? "
                f"group by all order by all", [mn]).fetchall():
            result["hours"].setdefault(factor, [0] * 24)[hour] = n
    src = _src(root, "hour", [day])
    if src is not None:
        for factor, n in con.execute(f"select factor, count(distinct data_time) from {src} where mn = ? "
                                     f"group by all order by all", [mn]).fetchall():
            result["hour_records"][factor] = n
    return result
