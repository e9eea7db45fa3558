"""Two officers working on the same task's record at once: one submission, one signature per
person, one case per finding — the second gets the 409 a second click gets, and the audit chain
holds one entry for the one change (core.locks)."""

import pytest
from sqlalchemy import func, select

from greensword.cases import service as cases
from greensword.inspection import service
from greensword.inspection.models import CaseReferral
from tests.factories import actor, signature_png
from tests.inspection.test_service import _open_task
from tests.races import audit_count, chain_holds, race

pytestmark = pytest.mark.db


@pytest.fixture
def ready(db, world, county):
    """An open task whose record is complete and signed, finding a violation."""
    officer = actor(db, world, "officer-330102")
    task = _open_task(db, world, county)
    items = [i.code for i in service.checklist_for(task.enterprise.industry_code).items]
    service.save_record(db, officer, task, checklist={c: "ok" for c in items[:-1]} | {items[-1]: "problem"},
                        findings="危废贮存场所未设置标识", violation=True, location="30.25,120.16")
    for role, name in (("officer", "执法员甲"), ("officer", "执法员乙"), ("enterprise", "企业代表丙")):
        service.sign(db, officer, task, role=role, name=name, png=signature_png())
    db.commit()
    return officer, task.id


def test_two_submissions_of_one_record_at_once_submit_once(db, engine, monkeypatch, ready):
    officer, task_id = ready

    def submit(s):
        return service.submit(s, officer, service.get_task(s, officer, task_id)).id

    record_id, lost = race(engine, monkeypatch, submit, submit).one_wins()
    assert "已提交" in lost.message
    assert audit_count(db, "inspection_record", record_id, "inspection.record.submit") == 1
    assert db.execute(select(func.count()).select_from(CaseReferral)).scalar_one() == 1
    chain_holds(db)


def test_one_signature_drawn_twice_at_once_is_kept_once(db, world, county, engine, monkeypatch):
    officer = actor(db, world, "officer-330102")
    task = _open_task(db, world, county)
    service.save_record(db, officer, task, checklist={}, findings="", violation=False)   # the draft exists
    db.commit()

    def sign(s):
        return service.sign(s, officer, service.get_task(s, officer, task.id), role="officer", name="执法员甲",
                            png=signature_png()).id

    record_id, lost = race(engine, monkeypatch, sign, sign).one_wins()
    assert "执法员甲 已签名" in lost.message
    assert audit_count(db, "inspection_record", record_id, "inspection.record.sign") == 1
    chain_holds(db)


def test_one_finding_opened_as_a_case_twice_at_once_opens_one(db, world, engine, monkeypatch, ready):
    officer, task_id = ready
    service.submit(db, officer, service.get_task(db, officer, task_id))
    db.commit()
    ref = db.execute(select(CaseReferral)).scalar_one()
    leader = actor(db, world, "leader-330102")

    def open_case(s):
        return cases.open_from_referral(s, leader, ref.id).number

    _, lost = race(engine, monkeypatch, open_case, open_case).one_wins()
    assert "已立为案件" in lost.message
    assert audit_count(db, "inspection_case_referral", ref.id, "inspection.referral.opened") == 1
    chain_holds(db)
