"""Two officers acting on the same case at once: one step applies, the other gets the 409 a
second click gets, and the audit chain holds one entry for the one step (core.locks)."""

from datetime import date

import pytest

from greensword.cases import service
from greensword.cases.models import Case
from tests.races import audit_count, chain_holds, race

pytestmark = pytest.mark.db


def test_two_suspensions_of_one_case_at_once(flow, db, engine, monkeypatch):
    c = flow.open()
    flow.to_reviewed(c)
    db.commit()
    leader = flow.leader

    def suspend(s):
        return service.act(s, leader, c.id, "suspend", on=date(2026, 3, 12),
                           data={"reason": "等待监测报告", "document": "中止调查审批表"}).stage

    won, lost = race(engine, monkeypatch, suspend, suspend).one_wins()
    assert won == "suspended" and "中止" in lost.message
    db.expire_all()
    case = db.get(Case, c.id)
    assert case.stage == "suspended" and case.resume_stage == "reviewed"
    assert len([p for p in service.pauses(db, case) if p.kind == "suspension"]) == 1
    assert audit_count(db, "penalty_case", c.id, "cases.suspend") == 1
    chain_holds(db)

