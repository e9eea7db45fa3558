from datetime import date

from tests.conftest import login_as


def test_cases_api_lists_reads_acts_and_refuses(client, db, world, flow):
    c = flow.open(discovered=date.today())
    db.commit()
    login_as(client, "officer-330102")
    rows = client.get("/api/v1/cases").json()["items"]
    assert [r["number"] for r in rows] == [c.number] and rows[0]["stage"] == "clue"
    detail = client.get(f"/api/v1/cases/{c.id}").json()
    assert detail["events"][0]["action"] == "open" and detail["next_dues"][0]["kind"]
    # an officer cannot file: problem JSON with the stable code, nothing changes
    r = client.post(f"/api/v1/cases/{c.id}/act/file", json={"on": date.today().isoformat()})
    assert r.status_code == 409 and r.json()["code"] == "cases.role_required"
    assert client.get(f"/api/v1/cases/{c.id}").json()["stage"] == "clue"
    login_as(client, "leader-330102")
    r = client.post(f"/api/v1/cases/{c.id}/act/file", json={"on": date.today().isoformat()})
    assert r.status_code == 200 and r.json()["stage"] == "filed" and r.json()["events"][-1]["action"] == "file"
    # another county sees neither the list entry nor the case
    login_as(client, "officer-330203")
    assert client.get("/api/v1/cases").json()["total"] == 0
    assert client.get(f"/api/v1/cases/{c.id}").status_code == 403
    assert client.get("/api/v1/cases/overdue").status_code == 200
