"""The portal's agency-side lists (warnings, rectification items) page like every console list:
a total and a pager instead of the old cut at 200, whitelisted sorts, literal search, the filters
an officer expects, exports of every row; an enterprise sees only its own rows in both."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.timeutil import TZ, now
from tests.conftest import login_as
from tests.web.test_lists import _bad_params, _csv_rows, _xlsx_rows

T0 = datetime(2026, 1, 5, 9, tzinfo=TZ)


@pytest.fixture
def inbox(db, world):
    from greensword.portal.models.rectification import Rectification
    from greensword.portal.models.warnings import PortalWarning

    at = now()
    for i in range(230):                                       # more than the old cut of 200
        ent = world.enterprises["330102-key" if i % 3 else "330106-small"]
        db.add(PortalWarning(lead_id=900_000 + i, enterprise_id=ent.id, agency_id=ent.agency_id,
                             title="100%_超标预警" if i == 4 else f"在线监测预警{i}", hours=24,
                             sent_at=at - timedelta(days=3, hours=i), sent_by="t",
                             due_at=at + timedelta(hours=i - 100), status=["sent", "answered", "accepted"][i % 3],
                             answer_text="=cmd|' /C calc'!A0" if i == 1 else "", files=[]))
        db.add(Rectification(enterprise_id=ent.id, agency_id=ent.agency_id, source=["case", "inspection"][i % 2],
                             source_ref=f"ref-{i}", kind="correction", title=f"整改事项{i}", created_at=T0,
                             due_on=date.today() + timedelta(days=i - 50), status=["open", "reported", "closed"][i % 3],
                             escalated=i % 11 == 0))
    db.commit()


def test_warnings_list_pages_filters_and_exports(client, world, inbox):
    login_as(client, "leader-330100")
    r = client.get("/portal/warnings")
    assert "共 230 条，第 1/5 页" in r.text
    sent = _csv_rows(client.get("/portal/warnings.csv?status=sent"))
    assert len(sent) - 1 == sum(1 for i in range(230) if i % 3 == 0)
    late = _csv_rows(client.get("/portal/warnings.csv?overdue=1"))
    assert len(late) - 1 == sum(1 for i in range(230) if i % 3 == 0 and i < 100) and {x[8] for x in late[1:]} == {"是"}
    county = world.agencies["330106"]
    mine = _xlsx_rows(client.get(f"/portal/warnings.xlsx?agency_id={county.id}"))
    assert len(mine) - 1 == sum(1 for i in range(230) if i % 3 == 0)
    hit = _csv_rows(client.get("/portal/warnings.csv?q=100%25_"))
    assert [x[1] for x in hit[1:]] == ["100%_超标预警"]
    every = _csv_rows(client.get("/portal/warnings.csv"))
    assert [x for x in every[1:] if x[11].startswith("'=")], "formula guard on the answer text"
    _bad_params(client, "/portal/warnings", "status=lost", "sort=body", "page=0")


def test_rectification_list_pages_filters_and_exports(client, world, inbox):
    login_as(client, "leader-330100")
    n_open = sum(1 for i in range(230) if i % 3 != 2)
    r = client.get("/portal/rectifications")
    assert f"共 {n_open} 条" in r.text
    dues = [x[8] for x in _csv_rows(client.get("/portal/rectifications.csv"))[1:]]
    assert len(dues) == n_open and dues == sorted(dues)              # open items by deadline
    late = _csv_rows(client.get("/portal/rectifications.csv?overdue=1&source=case"))
    assert len(late) - 1 == sum(1 for i in range(230) if i % 3 != 2 and i < 50 and i % 2 == 0)
    esc = _csv_rows(client.get("/portal/rectifications.csv?status=all&escalated=1"))   # 全部, closed ones too
    assert len(esc) - 1 == sum(1 for i in range(230) if i % 11 == 0)
    assert 'value="all" selected' in client.get("/portal/rectifications?status=all").text
    _bad_params(client, "/portal/rectifications", "status=x", "source=x", "kind=x", "sort=detail")


def test_an_enterprise_sees_only_its_own(client, world, inbox):
    login_as(client, "ent-330106-small")
    r = client.get("/portal/warnings.csv")
    assert len(_csv_rows(r)) - 1 == sum(1 for i in range(230) if i % 3 == 0) == int(r.headers["x-total-count"])
    r = client.get("/portal/rectifications?status=all")
    assert f"共 {sum(1 for i in range(230) if i % 3 == 0)} 条" in r.text


def _case(db, world, code):
    from greensword.cases import service as cases
    from tests.factories import actor

    return cases.open_case(db, actor(db, world, f"officer-{code}"), enterprise_id=world.enterprises[f"{code}-key"].id,
                           title="废气超标", facts="监测超标", source="inspection", discovered_on=date(2026, 1, 5),
                           officer_ids=[world.officers[f"{code}-0"].id, world.officers[f"{code}-1"].id])


def test_credit_reviews_filter_jurisdiction_before_paging(client, db, world):
    """The old list took the 200 oldest applications of the province, then dropped other counties':
    a county whose application was the 201st saw nothing."""
    from greensword.portal.models.credit import CreditRepair

    cases = {code: _case(db, world, code) for code in ("330102", "330106")}
    for i in range(211):
        code = "330106" if i < 210 else "330102"
        c = cases[code]
        db.add(CreditRepair(enterprise_id=c.enterprise_id, case_id=c.id, agency_id=c.agency_id, severity="general",
                            explanation="已整改", commitment="承诺", evidence=[], applied_by="t",
                            applied_on=date(2026, 2, 1) + timedelta(days=i // 10), applied_at=T0,
                            review_due=date(2026, 3, 1), status="pending" if i % 2 or i == 210 else "approved"))
    db.commit()
    login_as(client, "leader-330102")
    r = client.get("/portal/credit/reviews")
    assert "共 1 条" in r.text and cases["330102"].number in r.text
    login_as(client, "leader-330100")
    assert f"共 {105 + 1} 条，第 1/3 页" in client.get("/portal/credit/reviews").text
    assert "共 211 条" in client.get("/portal/credit/reviews?status=all").text
    assert "共 105 条" in client.get("/portal/credit/reviews?status=approved").text
    _bad_params(client, "/portal/credit/reviews", "status=x", "sort=explanation")
