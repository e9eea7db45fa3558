"""Training lists page like every console list (courses, equipment, qualifications): totals and a
pager instead of the old cuts (20 courses on the home page, 1,000 pieces of equipment, 500
certificates), whitelisted sorts, literal search, the filters a training officer expects, exports
of every row of the filter and 422 pages for bad arguments."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.timeutil import TZ
from tests.conftest import login_as
from tests.web.test_lists import _bad_params, _csv_rows, _xlsx_rows

T0 = datetime(2026, 1, 5, 9, tzinfo=TZ)


def _rows(html: str) -> int:
    return html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")


@pytest.fixture
def many(db, world):
    from greensword.training.models import Course, Equipment, Qualification

    for i in range(130):
        unit = world.agencies["330102" if i % 3 else "330000"]
        db.add(Course(agency_id=unit.id, title=f"执法培训{i:03d}" if i != 5 else "100%_专题班", level="county",
                      topic=["法律法规", "现场执法", "综合"][i % 3], start_on=date(2025 + i % 2, 1 + i % 12, 1),
                      end_on=date(2025 + i % 2, 1 + i % 12, 2), hours=8, trainer_ids=[], created_at=T0))
    for i in range(1100):                              # more than the old cut of 1,000
        unit = world.agencies["330102" if i % 4 else "330106"]
        db.add(Equipment(agency_id=unit.id, kind=["drone", "recorder", "detector", "vehicle"][i % 4],
                         model="=cmd|' /C calc'!A0" if i == 1 else "DJI M30", serial=f"EQ{i:05d}",
                         acquired_on=date(2024, 1, 1) + timedelta(days=i % 300),
                         status="retired" if i % 10 == 0 else "in_service", created_at=T0))
    today = date.today()
    officers = [world.officers[k] for k in world.officers if k.startswith("330102")]
    for i in range(520):                               # more than the old cut of 500
        o = officers[i % len(officers)]
        expires = today + timedelta(days=(i % 40) * 10 - 100)
        db.add(Qualification(officer_id=o.id, kind="enforcement" if i % 2 else "drone", number=f"ZF{i:06d}",
                             issuer="省司法厅", issued_on=expires - timedelta(days=1800), expires_on=expires,
                             revoked_on=today - timedelta(days=1) if i % 25 == 0 else None, created_at=T0))
    db.commit()


def test_course_list_filters_sort_search_export(client, world, many):
    login_as(client, "leader-330102")
    home = client.get("/training")
    assert "本年度共" in home.text and "/training/courses?year=" in home.text
    r = client.get("/training/courses")
    assert "共 130 条，第 1/3 页" in r.text                 # 330102 sees its own and the province's courses
    r = client.get("/training/courses?year=2026&topic=综合&size=500")
    assert f"共 {sum(1 for i in range(130) if i % 2 and i % 3 == 2)} 条" in r.text
    r = client.get("/training/courses?q=100%25_")
    assert _rows(r.text) == 1 and "100%_专题班" in r.text
    r = client.get(f"/training/courses?agency_id={world.agencies['330102'].id}&size=500")
    assert _rows(r.text) == sum(1 for i in range(130) if i % 3)          # the county's own, not the province's
    rows = _csv_rows(client.get("/training/courses.csv?sort=title"))
    titles = [x[1] for x in rows[1:]]
    assert len(titles) == 130 and titles == sorted(titles)
    assert len(_xlsx_rows(client.get("/training/courses.xlsx?level=county"))) == 131
    _bad_params(client, "/training/courses", "sort=secret", "level=x", "topic=x", "year=99999", "page=0")


def test_equipment_list_past_the_old_cut(client, world, many):
    login_as(client, "leader-330000")
    r = client.get("/training/equipment?size=500&page=3")
    assert "共 1,100 条，第 3/3 页" in r.text and _rows(r.text) == 100
    r = client.get(f"/training/equipment?agency_id={world.agencies['330106'].id}&kind=drone&status=in_service")
    assert f"共 {sum(1 for i in range(0, 1100, 4) if i % 10)} 条" in r.text     # 330106 holds the drones
    assert "共 0 条" in client.get(f"/training/equipment?agency_id={world.agencies['330106'].id}&kind=vehicle").text
    r = client.get(f"/training/equipment?agency_id={world.agencies['330106'].id}&status=retired")
    assert f"共 {sum(1 for i in range(1100) if i % 4 == 0 and i % 10 == 0)} 条" in r.text
    r = client.get("/training/equipment.csv?kind=recorder")
    rows = _csv_rows(r)
    assert len(rows) - 1 == 275 == int(r.headers["x-total-count"])
    assert [x for x in rows[1:] if x[3] == "EQ00001"][0][2].startswith("'=")
    assert {x[1] for x in rows[1:]} == {"执法记录仪"}
    _bad_params(client, "/training/equipment", "kind=laser", "status=lost", "sort=-price", "size=501")


def test_qualification_list_states_and_export(client, world, many):
    today = date.today()
    login_as(client, "leader-330102")
    r = client.get("/training/qualifications")
    assert "共 520 条，第 1/11 页" in r.text
    exp = _csv_rows(client.get("/training/qualifications.csv?state=expired"))
    assert len(exp) - 1 == sum(1 for i in range(520) if i % 25 and (i % 40) * 10 - 100 < 0)
    assert {x[7] for x in exp[1:]} == {"已过期"}
    soon = _csv_rows(client.get("/training/qualifications.csv?state=expiring&kind=drone"))
    # drone licences: reminder window 60 days (rules/training/qualifications.yaml)
    assert len(soon) - 1 == sum(1 for i in range(0, 520, 2) if i % 25 and 0 <= (i % 40) * 10 - 100 <= 60)
    assert all(date.fromisoformat(x[6]) <= today + timedelta(days=60) for x in soon[1:])
    gone = _csv_rows(client.get("/training/qualifications.csv?state=revoked"))
    assert len(gone) - 1 == sum(1 for i in range(520) if i % 25 == 0)
    assert _rows(client.get("/training/qualifications?q=ZF000123").text) == 1
    _bad_params(client, "/training/qualifications", "state=x", "kind=x", "sort=password")
    login_as(client, "officer-330102")
    assert client.get("/training/qualifications").status_code == 403
