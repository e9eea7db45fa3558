"""正面清单: application checked against the rules' criteria, approval sets the registry flag the
draw excludes; a penalty removes a listed firm automatically; a confirmed lead puts it up for
review (kept with a reason, not flagged again for the same lead)."""

from datetime import date, datetime, timedelta

import pytest

from greensword.cases import service as cases
from greensword.core.errors import Conflict, PermissionDenied, ValidationFailed
from greensword.core.timeutil import TZ, now
from greensword.offsite.models import Lead
from greensword.portal import positive
from tests.factories import actor, add_user

pytestmark = pytest.mark.db


def test_firm_applies_officer_approves_and_the_flag_is_set(db, world, county):
    e = world.enterprises["330102-x1"]                 # blue credit, not a key polluter, no cases
    add_user(db, "ent-x1", ["enterprise"], enterprise=e)
    firm = actor(db, world, "ent-x1")
    officer = actor(db, world, "officer-330102")
    assert all(c.ok for c in positive.check_criteria(db, e, date(2026, 6, 1)))
    with pytest.raises(ValidationFailed, match="理由"):
        positive.apply(db, firm, statement=" ")
    x = positive.apply(db, firm, statement="污染小，环境管理规范", on=date(2026, 6, 1))
    with pytest.raises(Conflict, match="待审核"):
        positive.apply(db, firm, statement="再次申请", on=date(2026, 6, 2))
    with pytest.raises(PermissionDenied):
        positive.decide(db, firm, x.id, approve=True, reason="自己批准")
    positive.decide(db, officer, x.id, approve=True, reason="符合条件", on=date(2026, 6, 5))
    db.refresh(e)
    assert x.status == "listed" and e.positive_list


def test_approval_refused_when_a_criterion_fails(db, world):
    e = world.enterprises["330102-key"]                # key polluter without a permit on record
    officer = actor(db, world, "officer-330102")
    x = positive.propose(db, officer, e.id, statement="推荐", on=date(2026, 6, 1))
    assert x.origin == "proposal" and not all(c["ok"] for c in x.criteria)
    with pytest.raises(ValidationFailed, match="持证排污"):
        positive.decide(db, officer, x.id, approve=True, reason="同意", on=date(2026, 6, 2))
    positive.decide(db, officer, x.id, approve=False, reason="未登记排污许可证", on=date(2026, 6, 2))
    assert x.status == "rejected" and not e.positive_list


def test_penalty_removes_automatically_and_confirmed_lead_goes_to_review(db, world):
    officer = actor(db, world, "officer-330102")
    small = world.enterprises["330102-small"]          # on the list since before the portal
    key106 = world.enterprises["330106-small"]
    assert small.positive_list and key106.positive_list
    today = now().date()
    cases.summary_decision(db, officer, enterprise_id=small.id, facts="危险废物未分类贮存", basis="固体废物污染环境防治法",
                           fine=1000, on=today - timedelta(days=3), place="厂区",
                           officer_ids=[world.officers["330102-0"].id, world.officers["330102-1"].id])
    got = positive.sweep(db, officer, on=today)
    db.refresh(small)
    assert got == {"removed": 1, "review": 0} and not small.positive_list
    x = positive.current(db, small.id)
    assert x.status == "removed" and x.removal_trigger.startswith("penalty:") and "自动移出" in x.removal_reason
    # a lead confirmed for a listed firm in another county: review by that county's officer
    at = datetime.now(TZ)
    db.add(Lead(mn="X", enterprise_id=key106.id, agency_id=key106.agency_id, factor="a21026", detector="exceed",
                start=at, end=at, score=1.0, rank_score=1.0, status="screened", verdict="confirmed", reason="超标属实",
                outcome="", evidence={}, repeats=0, due_at=at, created_at=at, updated_at=at))
    db.flush()
    assert positive.sweep(db, officer, on=today) == {"removed": 0, "review": 0}      # not his county
    other = actor(db, world, "officer-330106")
    assert positive.sweep(db, other, on=today) == {"removed": 0, "review": 1}
    y = positive.current(db, key106.id)
    assert y.status == "review" and y.review_trigger.startswith("lead:")
    with pytest.raises(ValidationFailed, match="理由"):
        positive.keep(db, other, y.id, reason="")
    positive.keep(db, other, y.id, reason="系设备故障，已修复并说明")
    assert y.status == "listed" and key106.positive_list
    assert positive.sweep(db, other, on=today) == {"removed": 0, "review": 0}        # the same lead: once


def test_pages_firm_applies_officer_sees_and_statistics_count(client, db, world, county):
    from tests.conftest import login_as

    e = world.enterprises["330102-x1"]
    add_user(db, "ent-x1", ["enterprise"], enterprise=e)
    db.commit()
    login_as(client, "ent-x1")
    r = client.get("/portal/positive")
    assert "纳入条件自查" in r.text and "不符合" not in r.text
    r = client.post("/portal/positive/apply", data={"statement": "污染小"}, files={"files": ("x.txt", b"hello", "text/plain")})
    assert "不是允许的类型" in r.text
    r = client.post("/portal/positive/apply", data={"statement": "污染小"})
    assert "待审核" in client.get("/portal/positive").text
    login_as(client, "officer-330102")
    r = client.get("/portal/positive/manage")
    x = positive.current(db, e.id)
    assert f"listing-{x.id}" in r.text
    r = client.post(f"/portal/positive/{x.id}/approve", data={"reason": "符合条件"}, follow_redirects=True)
    db.expire_all()
    assert positive.current(db, e.id).status == "listed"
    from greensword.evaluation import statistics

    today = now().date()
    v = statistics.compute(db, statistics.Filters(date(today.year, 1, 1), today))[world.agencies["330102"].id].values
    assert v["positive_listed"] == 1
    login_as(client, "leader-330102")
    page = client.get("/statistics").text
    assert "信用修复完成数" in page and "纳入正面清单企业数" in page
