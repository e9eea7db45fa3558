"""The monitoring point page: a chart per factor of the recent values against the limit line,
read from the lake; online/offline from the last data against the point's own interval."""

import json
import re
from datetime import timedelta

from greensword.core.timeutil import now
from greensword.hj212 import console, lake, queries
from greensword.settings import get_settings
from tests.conftest import login_as


def _rows(mn, kind, factor, times, values, zs=None):
    return [{"mn": mn, "factor": factor, "data_time": t, "kind": kind, "value": v,
             "zs_value": (zs[i] if zs else None), "flag": "N", "received_at": t, "edition": "2017",
             "backfill": False} for i, (t, v) in enumerate(zip(times, values, strict=True))]


def _minutes(end, n):
    return [end - timedelta(minutes=i) for i in range(n)][::-1]


def test_series_chart_on_the_point_page(client, world):
    root = get_settings().lake_path
    pt = world.points["330102-gas"]
    t_now = now().replace(tzinfo=None, second=0, microsecond=0)
    times = _minutes(t_now - timedelta(minutes=1), 180)
    so2 = [30.0 + (i % 10) for i in range(180)]
    so2_zs = [40.0 + (i % 20) for i in range(180)]                 # 10 minutes of every 20 over 50
    lake.write_rows(root, _rows(pt.mn, "minute", "a21026", times, so2, so2_zs)
                    + _rows(pt.mn, "minute", "a19001", times, [9.5] * 180))
    data = queries.series(root, pt.mn, end=now(), hours=6)
    assert data["kind"] == "minute" and data["bucket_s"] == 60
    assert len(data["factors"]["a21026"]["t"]) == 180 and data["factors"]["a21026"]["zs"][-1] == so2_zs[-1]
    wide = queries.series(root, pt.mn, end=now(), hours=72)
    assert wide["bucket_s"] == 360 and len(wide["factors"]["a21026"]["t"]) <= 32   # averaged into 6-minute buckets
    login_as(client, "officer-330102")
    r = client.get(f"/monitoring/points/{pt.id}?hours=6")
    assert r.status_code == 200 and 'id="chart-a21026"' in r.text and "echarts.min.js" in r.text
    charts = json.loads(re.search(r"const CHARTS = (.*);\n", r.text).group(1))
    so2_chart = next(c for c in charts if c["code"] == "a21026")
    assert so2_chart["corrected"] and so2_chart["limit"] == 50 and so2_chart["v"] == so2_zs    # the corrected value
    assert so2_chart["name"] == queries.factor_name("a21026")
    assert so2_chart["over"] == sum(1 for v in so2_zs if v > 50)
    assert f"超限 {so2_chart['over']} 个点" in r.text
    o2 = next(c for c in charts if c["code"] == "a19001")
    assert o2["limit"] is None and not o2["corrected"]
    assert '<span class="badge green">在线</span>' in r.text
    # a point without data in the window says so instead of an empty chart
    water = world.points["330102-water"]
    r = client.get(f"/monitoring/points/{water.id}?hours=999")           # unknown window → 24 h
    assert 'id="no-series"' in r.text and "近 24 小时没有该点的数据" in r.text


def test_online_from_last_data_against_the_points_interval(world):
    root = get_settings().lake_path
    t_now = now().replace(tzinfo=None, second=0, microsecond=0)
    gas, water = world.points["330102-gas"].mn, world.points["330203-water"].mn
    hourly = world.points["330102-water"].mn
    # minute data that stopped 20 minutes ago: offline (15-minute floor)
    lake.write_rows(root, _rows(gas, "minute", "a21026", _minutes(t_now - timedelta(minutes=20), 60), [1.0] * 60))
    # hourly data, last hour 50 minutes ago: online (two intervals = 2 h)
    lake.write_rows(root, _rows(hourly, "hour", "w01018", [t_now - timedelta(minutes=50) - timedelta(hours=i)
                                                            for i in range(6)][::-1], [20.0] * 6))
    # hourly data that stopped 3 hours ago: offline
    lake.write_rows(root, _rows(water, "hour", "w01018", [t_now - timedelta(hours=3 + i) for i in range(6)][::-1],
                                [20.0] * 6))
    st = console.point_status(root, [gas, hourly, water])
    assert (st[gas].online, st[gas].interval_s, st[gas].offline_after_s) == (False, 60, 900)
    assert (st[hourly].online, st[hourly].interval_s, st[hourly].offline_after_s) == (True, 3600, 7200)
    assert st[water].online is False and st[water].latest["w01018"]["kind"] == "hour"
