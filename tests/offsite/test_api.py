from datetime import datetime

from greensword.offsite import engine, service
from greensword.offsite.screen import packets_to_lake, read_limits
from tests.conftest import login_as
from tests.factories import actor
from tests.offsite.test_screen_and_leads import _packets


def _one_lead(db, world, tmp_path):
    from greensword.settings import get_settings

    gas = world.points["330102-gas"]
    root = get_settings().lake_path
    lim = tmp_path / "l.csv"
    lim.write_text(f"mn,factor,limit,unit,ref_o2\n{gas.mn},a21026,35,mg/m3,\n", encoding="utf-8")
    packets_to_lake(_packets(gas.mn, gas.pw, datetime(2026, 3, 2)), root)
    found = engine.screen(root, read_limits(lim), datetime(2026, 3, 2), datetime(2026, 3, 3))
    service.ingest(db, actor(db, world, "admin-330102"), found, str(root))
    db.commit()
    return service.list_leads(db, actor(db, world, "admin-330102"))[0]


def test_leads_api_screening_and_the_inspection_task(client, db, world, tmp_path):
    lead = _one_lead(db, world, tmp_path)
    login_as(client, "officer-330102")
    rows = client.get("/api/v1/offsite/leads").json()["items"]
    assert [(r["id"], r["detector"], r["status"]) for r in rows] == [(lead.id, "exceedance", "new")]
    assert client.get("/api/v1/offsite/leads?status=closed").json()["items"] == []
    one = client.get(f"/api/v1/offsite/leads/{lead.id}").json()
    assert one["evidence"]["query"].startswith("SELECT") and one["overdue"] in (True, False)
    r = client.post(f"/api/v1/offsite/leads/{lead.id}/act/dismiss", json={"reason": ""})
    assert r.status_code == 422 and r.json()["code"] == "offsite.no_reason"
    r = client.post(f"/api/v1/offsite/leads/{lead.id}/act/confirm", json={"reason": "数据与工况不符"})
    assert r.status_code == 200 and r.json()["status"] == "screened"
    # the lead's own API does not open inspection tasks: the inspection domain does
    r = client.post(f"/api/v1/offsite/leads/{lead.id}/act/request_inspection", json={})
    assert r.status_code == 422 and r.json()["code"] == "offsite.no_task"
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    r = client.post(f"/api/v1/inspection/leads/{lead.id}/task", json={"officer_ids": offs, "due_date": "2026-03-06"})
    assert r.status_code == 200, r.text
    task = r.json()
    assert task["source"] == "lead" and task["officer_ids"] == offs and task["due_date"] == "2026-03-06"
    assert client.get(f"/api/v1/offsite/leads/{lead.id}").json()["task_id"] == task["id"]
    # another county cannot see the lead
    login_as(client, "officer-330203")
    assert client.get(f"/api/v1/offsite/leads/{lead.id}").status_code == 403
    assert client.get("/api/v1/offsite/leads").json()["total"] == 0
