"""Two people handling the same complaint at once: one step applies, the other gets the 409 a
second click gets, and the audit chain holds one entry for it (core.locks)."""

import pytest
from sqlalchemy import func, select

from greensword.complaint import service
from greensword.complaint.models import Complaint
from greensword.inspection.complaints import task_from_complaint
from greensword.inspection.models import Task
from tests.factories import actor
from tests.races import audit_count, chain_holds, race

pytestmark = pytest.mark.db


@pytest.fixture
def complaint(db, world):
    c = service.submit_public(db, agency_id=world.agencies["330102"].id, address="上城路1号", matter="water",
                              enterprise_name=world.enterprises["330102-key"].name,
                              content="夜间有污水从暗管排入河道，河水发黑发臭", anonymous=False, name="王先生",
                              phone="13800001111")
    db.commit()
    return c


def test_accepting_and_rejecting_at_once_decides_once(db, world, engine, monkeypatch, complaint):
    leader = actor(db, world, "leader-330102")

    def accept(s):
        return service.decide(s, leader, complaint.id, decision="accept").status

    def reject(s):
        return service.decide(s, leader, complaint.id, decision="reject", reason="不属于本机关职责").status

    won, lost = race(engine, monkeypatch, accept, reject).one_wins()
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == won
    assert "只有“已登记待受理”的投诉才能作出受理决定" in lost.message
    entries = sum(audit_count(db, "complaint", complaint.id, f"complaint.{a}") for a in ("accept", "reject"))
    assert entries == 1
    chain_holds(db)


def test_two_tasks_from_one_complaint_at_once_open_one(db, world, engine, monkeypatch, complaint):
    leader = actor(db, world, "leader-330102")
    service.decide(db, leader, complaint.id, decision="accept")
    service.assign(db, leader, complaint.id, agency_id=world.agencies["330102"].id, handlers=["officer-330102"])
    db.commit()
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]

    def task(s):
        return task_from_complaint(s, leader, complaint.id, officer_ids=offs).id

    won, _ = race(engine, monkeypatch, task, task).one_wins()
    db.expire_all()
    assert db.get(Complaint, complaint.id).task_id == won
    assert db.execute(select(func.count()).select_from(Task).where(Task.source == "complaint")).scalar_one() == 1
    assert audit_count(db, "complaint", complaint.id, "complaint.task") == 1
    chain_holds(db)
