"""What the console shows about monitoring: gateway counters, per-point status (online, last
packet, latest values against limits) and data completeness, read from the lake with DuckDB."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

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
    #: the point's data interval (seconds), told from its recent data; and how long without
    #: data makes it 离线: two intervals, at least the protocol rules' offline_after_minutes
    interval_s: int | None = None
    offline_after_s: int | None = None


def point_status(root: Path, mns: list[str], *, today: date | None = None,
                 seen: dict[str, datetime | None] | None = None) -> dict[str, PointStatus]:
    """Latest values of each MN over the last two days' partitions (hourly, minute and real-time
    data; the finer kind wins) and whether it is online: its last data (data time or time
    received) within two of its own intervals — a point reporting hourly is not 离线 forty
    minutes after its last hour. ``seen``: the gateway's last-seen time per MN (hj212_device),
    which also counts keep-alives (empty uploads, vendor heartbeats) that put nothing in the
    lake: a device sending only those is online, though without data."""
    from .lake import KIND_STEP_S

    today = today or now().date()
    days = [today - timedelta(days=1), today]
    out = {mn: PointStatus(mn) for mn in mns}
    if not mns:
        return out
    current = now().replace(tzinfo=None)
    floor_s = protocol.rules().offline_after_minutes * 60
    step: dict[str, float] = {}
    for kind in ("hour", "minute", "rtd"):       # rtd last so it wins where several exist
        files = lake.files_of(root, kind, days)
        if not files:
            continue
        rows = lake.query(
            files, "select mn, factor, arg_max(value, data_time), arg_max(zs_value, data_time), "
            "arg_max(flag, data_time), max(data_time), max(received_at), min(data_time), "
            "count(distinct data_time) from {src} "
            "where mn in (select unnest(?)) group by mn, factor", [mns])
        for mn, factor, value, zs, flag, dt, rec, first, n in rows:
            st = out[mn]
            st.latest[factor] = {"value": value, "zs_value": zs, "flag": flag, "data_time": dt, "kind": kind}
            st.last_data_time = max(filter(None, [st.last_data_time, dt]))
            st.last_received = max(filter(None, [st.last_received, rec]))
            gap = (dt - first).total_seconds() / (n - 1) if n > 1 else KIND_STEP_S[kind]
            step[mn] = min(step.get(mn, gap), max(gap, KIND_STEP_S[kind]))
    for st in out.values():
        last = (seen or {}).get(st.mn)
        if last is not None and last.tzinfo is not None:
            last = last.astimezone(now().tzinfo).replace(tzinfo=None)
        st.interval_s = round(step[st.mn]) if st.mn in step else None
        st.offline_after_s = max(floor_s, 2 * (st.interval_s or 0))
        latest = max(filter(None, [st.last_data_time, st.last_received, last]), default=None)
        st.online = bool(latest and (current - latest).total_seconds() <= st.offline_after_s)
    return out


def completeness(root: Path, mn: str, day: date) -> dict:
    """Per factor: minute records per hour (24 numbers) and the day's hour records."""
    rules = protocol.rules().completeness
    result: dict = {"day": day, "hours": {}, "hour_records": {}, "valid_hour": rules["minutes_per_hour_valid"],
                    "valid_day": rules["hours_per_day_valid"]}
    files = lake.files_of(root, "minute", [day])
    if files:
        for factor, hour, n in lake.query(
                files, "select factor, hour(data_time), count(distinct data_time) from {src} where mn = ? "
                "group by all order by all", [mn]):
            result["hours"].setdefault(factor, [0] * 24)[hour] = n
    files = lake.files_of(root, "hour", [day])
    if files:
        for factor, n in lake.query(files, "select factor, count(distinct data_time) from {src} where mn = ? "
                                    "group by all order by all", [mn]):
            result["hour_records"][factor] = n
    return result
