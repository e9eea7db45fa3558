"""MinInterval the device reports is stored in the lake (kind ``setting``) and `offsite detect`
reads it instead of inferring the interval; lakes without settings still screen (inference)."""

from datetime import datetime, timedelta

from greensword.hj212 import lake
from greensword.hj212.codec import build, parse
from greensword.hj212.rows import packet_rows
from greensword.offsite import engine
from greensword.offsite.hourly import Limits, lake_intervals

MN = "MININTERVAL0000000000001"
T0 = datetime(2026, 3, 2)
LIM = Limits({MN: {"a21026": (35.0, None)}})


def _minutes(root, step):
    """SO2 every ``step`` minutes for two days, a normal level."""
    rows = []
    t = T0 - timedelta(days=1)
    while t < T0 + timedelta(days=1):
        rows.append({"mn": MN, "factor": "a21026", "data_time": t, "kind": "minute", "value": 10.0 + (t.minute % 7),
                     "flag": "N", "received_at": t + timedelta(seconds=30)})
        t += timedelta(minutes=step)
    lake.write_rows(root, [{**{f.name: None for f in lake.SCHEMA}, **r} for r in rows])


def _setting(root, minutes, when):
    p = parse(build(st="31", cn="1063", pw="123456", mn=MN, qn="20260301000000000", flag=4,
                    cp={"DataTime": when.strftime("%Y%m%d%H%M%S"), "MinInterval": str(minutes)}))
    rows = packet_rows(p, when)
    assert [(r["kind"], r["factor"], r["value"]) for r in rows] == [("setting", "MinInterval", float(minutes))]
    lake.write_rows(root, rows)


def _missing(root):
    return [f for f in engine.screen(root, LIM, T0, T0 + timedelta(days=1)) if f.detector == "missing_data"]


def test_reported_interval_is_read_from_the_lake(tmp_path):
    """Samples every 10 minutes: inferred 10 → every hour covered. A device that reports
    MinInterval 5 but sends every 10 minutes covers only 30 minutes an hour: hours invalid."""
    _minutes(tmp_path, 10)
    assert lake_intervals(tmp_path, T0 + timedelta(days=1)) == []
    assert _missing(tmp_path) == []                                  # old lakes: inference
    _setting(tmp_path, 5, T0 - timedelta(days=2))
    assert lake_intervals(tmp_path, T0 + timedelta(days=1)) == [(MN, T0 - timedelta(days=2), 5)]
    found = _missing(tmp_path)
    assert found and found[0].start <= T0 and found[0].end == T0 + timedelta(days=1)


def test_a_setting_applies_from_its_time_on(tmp_path):
    """MinInterval 5 reported at noon: the morning is judged on the inferred 10 minutes."""
    _minutes(tmp_path, 10)
    _setting(tmp_path, 5, T0 + timedelta(hours=12))
    found = _missing(tmp_path)
    assert [(f.start, f.end) for f in found] == [(T0 + timedelta(hours=12), T0 + timedelta(days=1))]
