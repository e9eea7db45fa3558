from datetime import datetime, timedelta

from greensword.core.timeutil import now
from greensword.hj212 import lake
from greensword.hj212.codec import build, parse
from greensword.hj212.rows import packet_rows
from greensword.settings import get_settings
from tests.conftest import login_as


def test_monitoring_pages_show_status_limits_and_completeness(client, world):
    pt = world.points["330102-gas"]
    t = now().replace(tzinfo=None, second=0, microsecond=0)
    rows = []
    for m in range(50):
        dt = t - timedelta(minutes=m)
        raw = build(st="31", cn="2051", pw=pt.pw, mn=pt.mn, qn=dt.strftime("%Y%m%d%H%M%S") + "000", flag=4,
                    cp={"DataTime": dt.strftime("%Y%m%d%H%M%S"), "a21026-Avg": 999.5, "a21026-ZsAvg": 999.5,
                        "a21026-Flag": "N"})
        rows += packet_rows(parse(raw), datetime.now())
    lake.write_rows(get_settings().lake_path, rows)
    login_as(client, "officer-330102")
    r = client.get("/monitoring")
    assert r.status_code == 200 and pt.mn in r.text and "在线" in r.text
    r = client.get(f"/monitoring/points/{pt.id}")
    assert r.status_code == 200
    assert "999.500" in r.text and "超标" in r.text
    assert "数据完整率" in r.text
    # another county's officer cannot open it
    login_as(client, "officer-330203")
    assert client.get(f"/monitoring/points/{pt.id}").status_code in (403, 404)
