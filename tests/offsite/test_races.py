"""Two officers acting on the same off-site lead at once: one action applies, the other gets the
409 a second click gets, and the audit chain holds one entry for it (core.locks)."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from greensword.core.timeutil import TZ
from greensword.inspection import service as inspection
from greensword.inspection.models import Task
from greensword.offsite import service
from greensword.offsite.models import Lead
from tests.factories import actor
from tests.races import audit_count, chain_holds, race

pytestmark = pytest.mark.db


@pytest.fixture
def lead(db, world):
    gas = world.points["330102-gas"]
    lead = service.lead_from_selfcheck(db, "system", mn=gas.mn, factor="a21026", start=datetime(2026, 3, 1, tzinfo=TZ),
                                       end=datetime(2026, 3, 2, tzinfo=TZ), explanation="自查称无异常", evidence={})
    db.commit()
    return lead


def test_two_confirmations_of_one_lead_at_once(db, world, engine, monkeypatch, lead):
    off = actor(db, world, "officer-330102")

    def confirm(s):
        return service.act(s, off, lead.id, "confirm", reason="数据异常，确认").status

    won, lost = race(engine, monkeypatch, confirm, confirm).one_wins()
    assert won == "screened" and "“已甄别”状态" in lost.message
    assert audit_count(db, "offsite_lead", lead.id, "offsite.lead.confirm") == 1
    chain_holds(db)


def test_confirming_and_dismissing_at_once_applies_one(db, world, engine, monkeypatch, lead):
    """Each is allowed only on a new lead: the second must see the first's verdict and be refused,
    not overwrite it."""
    off = actor(db, world, "officer-330102")

    def confirm(s):
        return service.act(s, off, lead.id, "confirm", reason="数据异常，确认").verdict

    def dismiss(s):
        return service.act(s, off, lead.id, "dismiss", reason="工况正常，排除").verdict

    won, lost = race(engine, monkeypatch, confirm, dismiss).one_wins()
    db.expire_all()
    row = db.get(Lead, lead.id)
    assert row.verdict == won and row.status == {"confirmed": "screened", "dismissed": "closed"}[won]
    assert "“待甄别”状态" not in lost.message
    assert (audit_count(db, "offsite_lead", lead.id, "offsite.lead.confirm")
            + audit_count(db, "offsite_lead", lead.id, "offsite.lead.dismiss")) == 1
    chain_holds(db)


def test_two_inspection_requests_open_one_task(db, world, engine, monkeypatch, lead):
    off = actor(db, world, "officer-330102")
    service.act(db, off, lead.id, "confirm", reason="数据异常，确认")
    db.commit()
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]

    def request(s):
        return inspection.task_from_lead(s, off, lead.id, officer_ids=offs, due_date=date(2026, 3, 6)).id

    won, _ = race(engine, monkeypatch, request, request).one_wins()
    db.expire_all()
    assert db.get(Lead, lead.id).task_id == won
    assert db.execute(select(func.count()).select_from(Task).where(Task.source == "lead")).scalar_one() == 1
    assert audit_count(db, "offsite_lead", lead.id, "offsite.lead.request_inspection") == 1
    chain_holds(db)
