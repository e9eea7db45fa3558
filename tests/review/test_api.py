import pytest

from greensword.core.timeutil import now
from tests.conftest import login_as
from tests.evaluation.test_review_and_ranking import _closed_cases

pytestmark = pytest.mark.db


def test_review_api_round_score_publish(client, db, world):
    cases = _closed_cases(db, world, "330102", 3) + _closed_cases(db, world, "330203", 2)
    db.commit()
    login_as(client, "admin-330000")
    body = {"agency_id": world.agencies["330000"].id, "name": "2026年案卷评查", "start": "2026-01-01",
            "end": "2026-12-31", "seed": "评查摇号 API"}
    rnd = client.post("/api/v1/review/rounds", json=body).json()
    assert rnd["verified"] is True and len(rnd["files"]) == 4           # min 2 per unit
    assert {f["case_id"] for f in rnd["files"]} <= {c.id for c in cases}
    assert [r["id"] for r in client.get("/api/v1/review/rounds").json()["items"]] == [rnd["id"]]
    r = client.post(f"/api/v1/review/rounds/{rnd['id']}/publish")
    assert r.status_code == 409 and r.json()["code"] == "review.unfinished"
    for f in rnd["files"]:
        login_as(client, f["reviewer"])
        assert f["id"] in [x["id"] for x in client.get("/api/v1/review/files/mine").json()["items"]]
        r = client.post(f"/api/v1/review/files/{f['id']}/score", json={"deductions": {"record": 99}})
        assert r.status_code == 422 and r.json()["code"] == "review.bad_deduction"
        r = client.post(f"/api/v1/review/files/{f['id']}/score", json={"deductions": {"record": 5}, "comment": "笔录"})
        assert r.status_code == 422 and r.json()["code"] == "review.no_reason_for_deduction"
        r = client.post(f"/api/v1/review/files/{f['id']}/score", json={"deductions": {"record": 5}, "comment": "笔录",
                                                                          "reasons": {"record": "笔录缺当事人签名"}})
        assert r.status_code == 200 and r.json()["score"] == 95.0 and r.json()["reasons"] == {"record": "笔录缺当事人签名"}
    login_as(client, "admin-330000")
    done = client.post(f"/api/v1/review/rounds/{rnd['id']}/publish").json()
    assert done["published_on"] == now().date().isoformat()      # the console's day (Beijing time)
    assert sorted(r["files"] for r in done["results"]) == [2, 2]
    assert client.get("/api/v1/review/rounds/999999").status_code == 404
