"""Two auditors on the same audit at once: a plan's units are selected once, the files pulled once,
the findings fed back once and a recommendation verified once; the loser gets the 409 a second
click gets and the audit chain holds one entry for the step (core.locks)."""

from datetime import date

import pytest

from greensword.core.errors import DomainError
from greensword.oversight import service
from greensword.oversight.models import AuditUnit, FilePull, Finding
from tests.factories import actor
from tests.races import audit_count, chain_holds, race, row_count

from .test_oversight import YEAR, _case, _ready_unit

pytestmark = pytest.mark.db


@pytest.fixture
def fieldwork(db, world):
    """A unit of the city's plan with its team and its one case file pulled and checked."""
    leader, u = _ready_unit(db, world)
    service.assign_team(db, leader, u.id, ["reviewer-330100", "evaluator-330100"])
    f = service.pull_files(db, leader, u.id)[0]
    service.check_file(db, leader, f.id, deductions={"filing_time": 2})
    db.commit()
    return leader, u


def test_selecting_units_twice_at_once_selects_once(db, world, engine, monkeypatch):
    _case(db, world)
    leader = actor(db, world, "leader-330100")
    p = service.create_plan(db, leader, agency_id=world.agencies["330100"].id, year=YEAR, name="年度稽查", seed="s1")
    db.commit()

    def select_units(s):
        return [u.id for u in service.select_units(s, leader, p.id)]

    won, lost = race(engine, monkeypatch, select_units, select_units).one_wins()
    assert "已选定被稽查单位" in lost.message
    db.expire_all()
    assert sorted(u.id for u in service.units_of(db, p)) == sorted(won)
    assert audit_count(db, "oversight_plan", p.id, "oversight.plan.select") == 1
    chain_holds(db)


def test_pulling_files_twice_at_once_pulls_once(db, world, engine, monkeypatch):
    leader, u = _ready_unit(db, world)
    service.assign_team(db, leader, u.id, ["reviewer-330100", "evaluator-330100"])
    db.commit()

    def pull(s):
        return len(service.pull_files(s, leader, u.id))

    won, lost = race(engine, monkeypatch, pull, pull).one_wins()
    assert "已调阅过卷宗" in lost.message
    assert row_count(db, FilePull, unit_id=u.id) == won == 1
    assert audit_count(db, "oversight_unit", u.id, "oversight.unit.pull") == 1
    chain_holds(db)


def test_a_finding_added_while_feedback_is_sent_is_in_the_letter_or_refused(db, world, engine, monkeypatch,
                                                                            fieldwork):
    """The letter is the unit's findings at the moment it is sent: a finding recorded at the same
    instant either makes it into the letter (with its deadline) or is refused, never lost after it."""
    leader, u = fieldwork
    service.add_finding(db, leader, u.id, area="案件办理", grade="attention", text="立案审批表缺日期",
                        recommendation="逐卷补正")
    db.commit()

    def feedback(s):
        return service.send_feedback(s, leader, u.id, on=date(2026, 8, 2)).status

    def finding(s):
        return service.add_finding(s, leader, u.id, area="期限", grade="improvement", text="调查超期",
                                   recommendation="建立期限台账").id

    out = race(engine, monkeypatch, feedback, finding)
    fed, added = out.results
    for r in out.results:
        if isinstance(r, BaseException) and not isinstance(r, DomainError):
            raise r
    assert fed == "feedback", out.results
    db.expire_all()
    unit = db.get(AuditUnit, u.id)
    found = service.findings_of(db, unit)
    if isinstance(added, BaseException):
        assert "只有现场稽查阶段可以登记发现的问题" in added.message and added.status == 409
        assert len(found) == 1
    else:                                     # recorded first: fed back with the others
        assert len(found) == 2
    assert all(x.due is not None for x in found), [(x.text, x.due) for x in found]
    assert audit_count(db, "oversight_unit", u.id, "oversight.unit.feedback") == 1
    chain_holds(db)


def test_two_feedbacks_at_once_send_one_letter(db, world, engine, monkeypatch, fieldwork):
    leader, u = fieldwork
    service.add_finding(db, leader, u.id, area="案件办理", grade="attention", text="立案审批表缺日期",
                        recommendation="逐卷补正")
    db.commit()

    def feedback(s):
        return service.send_feedback(s, leader, u.id, on=date(2026, 8, 2)).letter_sha

    _, lost = race(engine, monkeypatch, feedback, feedback).one_wins()
    assert "只有现场稽查阶段可以反馈" in lost.message
    assert audit_count(db, "oversight_unit", u.id, "oversight.unit.feedback") == 1
    chain_holds(db)


def test_verifying_and_sending_back_one_recommendation_at_once_decides_once(db, world, engine, monkeypatch,
                                                                            fieldwork):
    leader, u = fieldwork
    x = service.add_finding(db, leader, u.id, area="案件办理", grade="attention", text="立案审批表缺日期",
                            recommendation="逐卷补正")
    service.send_feedback(db, leader, u.id, on=date(2026, 8, 2))
    unit_leader = actor(db, world, "leader-330102")
    service.submit_plan(db, unit_leader, x.id, "专班整改")
    service.report(db, unit_leader, x.id, "已补正", on=date(2026, 9, 1))
    db.commit()
    other = actor(db, world, "admin-330000")

    def close(s):
        return service.follow_up(s, leader, x.id, verified=True, note="回头看核实到位", on=date(2026, 9, 10)).status

    def send_back(s):
        return service.follow_up(s, other, x.id, verified=False, note="仍缺签名", on=date(2026, 9, 10)).status

    won, lost = race(engine, monkeypatch, close, send_back).one_wins()
    assert "只有已报告整改的问题才能回头看" in lost.message
    db.expire_all()
    f = db.get(Finding, x.id)
    assert f.status == won and f.reopened == (1 if won == "planned" else 0)
    assert db.get(AuditUnit, u.id).status == ("closed" if won == "closed" else "feedback")
    assert audit_count(db, "oversight_finding", x.id, "oversight.finding.followup") == 1
    assert audit_count(db, "oversight_unit", u.id, "oversight.unit.close") == (1 if won == "closed" else 0)
    chain_holds(db)
