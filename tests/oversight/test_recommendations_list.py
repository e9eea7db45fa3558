"""The audit recommendations page like every console list: the /oversight page says how many are
open (it showed the first 20 and no total), the list pages with a total, filters (unit, status,
year, overdue, escalated), literal search, sorts and exports every row; the API pages too."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.timeutil import TZ
from tests.conftest import login_as
from tests.web.test_lists import _bad_params, _csv_rows, _xlsx_rows

T0 = datetime(2026, 1, 5, 9, tzinfo=TZ)


@pytest.fixture
def findings(db, world):
    from greensword.oversight.models import AuditPlan, AuditUnit, Finding

    today = date.today()
    made = []
    for year in (2025, 2026):
        plan = AuditPlan(agency_id=world.agencies["330100"].id, year=year, name=f"{year}年度执法稽查",
                         status="selected", metrics=[], created_at=T0)
        db.add(plan)
        db.flush()
        for code in ("330102", "330106"):
            u = AuditUnit(plan_id=plan.id, agency_id=world.agencies[code].id, reason="random", flags=[], team=[],
                          status="feedback")
            db.add(u)
            db.flush()
            for i in range(30):
                x = Finding(unit_id=u.id, area="期限", grade="attention", text=f"问题{year}{code}{i}",
                            recommendation="建立100%_台账" if (year, code, i) == (2026, "330106", 2)
                            else f"=整改建议{i}",
                            due=today + timedelta(days=i - 10), escalated=i % 7 == 0,
                            status=["open", "planned", "reported", "closed"][i % 4])
                db.add(x)
                made.append((year, code, x))
    db.commit()
    return made


def _open(rows):
    return [r for r in rows if r[2].status in ("open", "planned", "reported")]


def test_recommendations_list_total_filters_and_export(client, world, findings):
    login_as(client, "leader-330100")
    n_open = len(_open(findings))
    r = client.get("/oversight")
    assert f"共 {n_open} 条，以下为期限最早的 20 条" in r.text and "/oversight/recommendations" in r.text
    r = client.get("/oversight/recommendations")
    assert f"共 {n_open} 条，第 1/{-(-n_open // 50)} 页" in r.text
    today = date.today()
    late = _csv_rows(client.get("/oversight/recommendations.csv?overdue=1"))
    assert len(late) - 1 == sum(1 for _, _, x in _open(findings) if x.due < today)
    assert {x[9] for x in late[1:]} == {"是"}
    dues = [x[7] for x in _csv_rows(client.get("/oversight/recommendations.csv"))[1:]]
    assert dues == sorted(dues)                                   # earliest deadline (overdue) first
    unit = _csv_rows(client.get(f"/oversight/recommendations.csv?agency_id={world.agencies['330106'].id}&year=2026"))
    assert len(unit) - 1 == sum(1 for y, c, _ in _open(findings) if (y, c) == (2026, "330106"))
    assert {x[2] for x in unit[1:]} == {world.agencies["330106"].name}
    closed = _csv_rows(client.get("/oversight/recommendations.csv?status=closed"))
    assert len(closed) - 1 == sum(1 for *_, x in findings if x.status == "closed")
    esc = _xlsx_rows(client.get("/oversight/recommendations.xlsx?escalated=1"))
    assert len(esc) - 1 == sum(1 for _, _, x in _open(findings) if x.escalated)
    hit = _csv_rows(client.get("/oversight/recommendations.csv?q=100%25_"))
    assert [x[6] for x in hit[1:]] == ["建立100%_台账"]
    assert all(x[6].startswith("'=") for x in late[1:] if "整改建议" in x[6])      # formula guard
    _bad_params(client, "/oversight/recommendations", "status=x", "sort=text", "year=1", "page=0")
    api = client.get("/api/v1/oversight/recommendations?page_size=7&page=2")
    assert api.json()["total"] == n_open == int(api.headers["x-total-count"]) and len(api.json()["items"]) == 7


def test_another_city_sees_none_of_the_plan(client, world, findings):
    login_as(client, "leader-330200")
    assert "共 0 条" in client.get("/oversight/recommendations").text
    assert client.get("/api/v1/oversight/recommendations").json()["total"] == 0
