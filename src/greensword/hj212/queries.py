"""What other domains read from the HJ 212 tables: factor names and units from the standard's
code table (rules/hj212/factors.yaml)."""

from __future__ import annotations

from pydantic import BaseModel

from ..core.rules import Source, load, register


class Factor(BaseModel):
    name: str
    unit: str = ""


class FactorTable(BaseModel):
    source: Source
    factors: dict[str, Factor]


register("hj212/factors.yaml", FactorTable)


def factors() -> dict[str, Factor]:
    return load("hj212/factors.yaml", FactorTable).factors


def factor_name(code: str) -> str:
    """``w21003`` → 氨氮; an unknown code (or ``*``, every factor) as it is."""
    if code == "*":
        return "全部因子"
    f = factors().get(code)
    return f.name if f else code


def factor_unit(code: str) -> str:
    f = factors().get(code)
    return f.unit if f else ""


def factor_label(code: str) -> str:
    """``w21003`` → 氨氮（mg/L）."""
    f = factors().get(code)
    if f is None:
        return factor_name(code)
    return f"{f.name}（{f.unit}）" if f.unit else f.name




def series(root, mn: str, *, end, hours: int = 24, max_points: int = 720) -> dict:
    """A point's recent values from the lake, per factor, for a chart: the finest kind that has
    data in the window (minute, else hour, else real-time), averaged into buckets so at most
    ``max_points`` remain. ``end`` is Beijing wall-clock time (as the lake's DataTime).
    Returns {kind, bucket_s, start, end, factors: {code: {t: [...], v: [...], zs: [...]}}}."""
    import math
    from datetime import timedelta

    from . import lake

    end = end.replace(tzinfo=None, microsecond=0)
    start = end - timedelta(hours=hours)
    out: dict = {"kind": None, "bucket_s": None, "start": start, "end": end, "factors": {}}
    days = [start.date() + timedelta(days=i) for i in range((end.date() - start.date()).days + 1)]
    for kind in ("minute", "hour", "rtd"):
        files = lake.files_of(root, kind, days)
        if not files:
            continue
        bucket = max(lake.KIND_STEP_S[kind], math.ceil(hours * 3600 / max_points / 60) * 60)
        rows = lake.query(
            files, "select factor, time_bucket(to_seconds(?::bigint), data_time) as t, avg(value), avg(zs_value) "
            "from {src} where mn = ? and data_time > ? and data_time <= ? group by all order by factor, t",
            [bucket, mn, start, end])
        if not rows:
            continue
        out["kind"], out["bucket_s"] = kind, bucket
        for factor, t, v, zs in rows:
            f = out["factors"].setdefault(factor, {"t": [], "v": [], "zs": []})
            f["t"].append(t.strftime("%Y-%m-%d %H:%M"))
            f["v"].append(None if v is None else round(v, 4))
            f["zs"].append(None if zs is None else round(zs, 4))
        break
    return out


def lake_rows(kind: str, days, sql: str, params=()) -> list[tuple]:
    """Rows of a DuckDB ``sql`` over the lake's ``kind`` partitions of those days (``{src}`` in the
    query); the same query over unchanged files answers from memory (hj212.lake.query)."""
    from ..settings import get_settings
    from . import lake

    files = lake.files_of(get_settings().lake_path, kind, days)
    return lake.query(files, sql, params) if files else []


def point_status(mns: list[str], *, seen: dict | None = None) -> dict:
    """Latest values and online state of each MN (see hj212.console.point_status), for the
    enterprise portal's home page."""
    from ..settings import get_settings
    from .console import point_status as _status

    return _status(get_settings().lake_path, mns, seen=seen)


def recent_hours(mn: str, factors: list[str], *, hours: int = 48) -> dict[str, list[tuple[str, float]]]:
    """Hourly means (corrected value where the device sends one) of the last ``hours`` hours per
    factor, from the minute and real-time partitions of the lake: {factor: [(\"MM-DD HH:00\", mean)]}."""
    from datetime import timedelta

    from ..core import duck
    from ..core.timeutil import now
    from ..settings import get_settings
    from .console import _src

    if not factors:
        return {}
    t = now().replace(tzinfo=None)
    days = [(t - timedelta(hours=hours)).date() + timedelta(days=i)
            for i in range((t.date() - (t - timedelta(hours=hours)).date()).days + 1)]
    out: dict[str, list[tuple[str, float]]] = {f: [] for f in factors}
    src = _src(get_settings().lake_path, "minute", days) or _src(get_settings().lake_path, "rtd", days)
    if src is None:
        return out
    rows = duck.fetchall(
        f"select factor, strftime(date_trunc('hour', data_time), '%m-%d %H:00') h, avg(coalesce(zs_value, value)) "
        f"from {src} where mn = ? and factor in (select unnest(?)) and data_time >= ? "
        f"group by factor, h order by factor, h", [mn, factors, t - timedelta(hours=hours)])
    for factor, h, v in rows:
        if v is not None:
            out[factor].append((h, round(float(v), 3)))
    return out
