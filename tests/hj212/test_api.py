from datetime import datetime, timedelta

from greensword.core.timeutil import now
from greensword.hj212 import lake
from greensword.hj212.codec import build, parse
from greensword.hj212.rows import packet_rows
from greensword.settings import get_settings
from tests.conftest import login_as


def test_monitoring_api_status_completeness_and_device_settings(client, world):
    pt = world.points["330102-gas"]
    t = now().replace(tzinfo=None, second=0, microsecond=0)
    rows = []
    for m in range(30):
        dt = t - timedelta(minutes=m)
        raw = build(st="31", cn="2051", pw=pt.pw, mn=pt.mn, qn=dt.strftime("%Y%m%d%H%M%S") + "000", flag=4,
                    cp={"DataTime": dt.strftime("%Y%m%d%H%M%S"), "a21026-Avg": 12.5, "a21026-Flag": "N"})
        rows += packet_rows(parse(raw), datetime.now())
    lake.write_rows(get_settings().lake_path, rows)
    login_as(client, "officer-330102")
    st = client.get(f"/api/v1/hj212/points/{pt.id}/status").json()
    assert st["mn"] == pt.mn and st["last_data_time"] and st["latest"]["a21026"]["value"] == 12.5
    comp = client.get(f"/api/v1/hj212/points/{pt.id}/completeness?day={t.date().isoformat()}").json()
    assert sum(comp["hours"]["a21026"]) == 30
    assert client.get(f"/api/v1/hj212/devices/{pt.mn}").json() is None       # never sent through the gateway
    # only an administrator changes a device; the key is never returned
    r = client.put(f"/api/v1/hj212/devices/{pt.mn}", json={"tolerant": True})
    assert r.status_code == 403
    login_as(client, "admin-330102")
    r = client.put(f"/api/v1/hj212/devices/{pt.mn}", json={"tolerant": True, "sm4_key": "0123456789ABCDEF0123456789ABCDEF"})
    assert r.status_code == 200 and r.json()["tolerant"] is True and r.json()["has_sm4_key"] is True
    assert "0123456789" not in r.text
    r = client.put(f"/api/v1/hj212/devices/{pt.mn}", json={"sm4_key": "12"})
    assert r.status_code == 422 and r.json()["code"] == "hj212.bad_key"
    assert client.get(f"/api/v1/hj212/devices/{pt.mn}").json()["tolerant"] is True
    assert client.get("/api/v1/hj212/devices/NOSUCHMN").status_code == 404
    # another county sees nothing of this point
    login_as(client, "officer-330203")
    assert client.get(f"/api/v1/hj212/points/{pt.id}/status").status_code == 403
    assert client.get(f"/api/v1/hj212/devices/{pt.mn}").status_code == 403
