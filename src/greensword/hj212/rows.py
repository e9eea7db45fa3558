"""A parsed data upload → monitoring-lake rows (one per factor), per the lake contract.

Factor codes of 2005 devices are normalised to 2017 codes (the original kept in ``extra``);
A key the device repeated (tolerant ``duplicate_key``) keeps its first value in the columns and
its later values in ``extra`` as ``{"repeated": {"Avg": ["…"]}}``.
value is -Rtd for real-time data and -Avg for minute/hour/day data; 2021/2041 status uploads
store SBx-RS / SBx-RT as the value of factor ``SBx``.
"""

import json
from datetime import datetime

from . import protocol
from .codec import Packet, _to_dt

_VALUE = ("Rtd", "Avg", "RS", "RT")
_ZS = ("ZsRtd", "ZsAvg")
_KNOWN = {"Rtd", "Avg", "Min", "Max", "ZsRtd", "ZsAvg", "Cou", "Flag", "EFlag", "SampleTime", "RS", "RT"}


def _f(v: str | None) -> float | None:
    return float(v) if v is not None else None


def setting_row(p: Packet, received_at: datetime) -> dict | None:
    """The minute-data interval a device reports (MinInterval, e.g. its answer to 1063 提取分钟数据
    间隔) as a lake row of kind ``setting``: factor MinInterval, value in minutes, in force from
    its DataTime (else from when it was received)."""
    raw = p.cp.get("MinInterval")
    try:
        minutes = float(raw) if raw is not None else None
    except ValueError:
        return None
    if minutes is None or minutes <= 0:
        return None
    when = _to_dt(p.cp["DataTime"]) if "DataTime" in p.cp else received_at
    return {"mn": p.mn, "factor": "MinInterval", "data_time": when, "kind": "setting", "value": minutes,
            "min": None, "max": None, "zs_value": None, "cou": None, "flag": None, "eflag": None,
            "sample_time": None, "qn": p.qn, "st": p.st, "cn": p.cn, "edition": p.edition, "backfill": p.rf,
            "received_at": received_at, "extra": None}


def packet_rows(p: Packet, received_at: datetime) -> list[dict]:
    rules = protocol.rules()
    kind = rules.uploads.get(p.cn)
    setting = setting_row(p, received_at)
    if kind is None or "DataTime" not in p.cp:
        return [setting] if setting is not None else []
    data_time = _to_dt(p.cp["DataTime"])
    groups: dict[str, dict[str, str]] = {}
    for key, value in p.cp.items():
        factor, sep, suffix = key.rpartition("-")
        if sep and factor:
            groups.setdefault(factor, {})[suffix] = value
    repeated: dict[str, dict[str, list[str]]] = {}
    for key, value in p.repeats:          # tolerant duplicate_key: later values, kept beside the first
        factor, sep, suffix = key.rpartition("-")
        repeated.setdefault(factor if sep else "", {}).setdefault(suffix, []).append(value)
    rows = [setting] if setting is not None else []
    old_codes = rules.factors_2005 if p.edition == "2005" else {}
    for factor, f in groups.items():
        extra: dict = {k: v for k, v in f.items() if k not in _KNOWN}
        if factor in repeated:
            extra["repeated"] = repeated[factor]
        code = old_codes.get(factor, factor)
        if code != factor:
            extra["code_2005"] = factor
        value = next((f[k] for k in _VALUE if k in f), None)
        zs = next((f[k] for k in _ZS if k in f), None)
        st = f.get("SampleTime")
        rows.append({
            "mn": p.mn, "factor": code, "data_time": data_time, "kind": kind,
            "value": _f(value), "min": _f(f.get("Min")), "max": _f(f.get("Max")),
            "zs_value": _f(zs), "cou": _f(f.get("Cou")), "flag": f.get("Flag"),
            "eflag": f.get("EFlag"), "sample_time": _to_dt(st) if st else None,
            "qn": p.qn, "st": p.st, "cn": p.cn, "edition": p.edition, "backfill": p.rf,
            "received_at": received_at, "extra": json.dumps(extra, ensure_ascii=False) if extra else None,
        })
    return rows
