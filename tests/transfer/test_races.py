"""Two officers recording the same transfer step at once: one applies, the other gets the 409 a
second click gets, and the audit chain holds one entry for it (core.locks)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from greensword.transfer import service
from greensword.transfer.models import Transfer
from tests.factories import actor
from tests.races import audit_count, chain_holds, race
from tests.transfer.test_transfer import _case_with_transfer

pytestmark = pytest.mark.db


def test_two_follow_ups_of_one_measure_at_once_open_one(db, world, engine, monkeypatch):
    c, m = _case_with_transfer(db, world)
    db.commit()
    leader = actor(db, world, "leader-330102")

    def follow(s):
        return service.open_followup(s, leader, case_id=c.id, measure_id=m.id).id

    _, lost = race(engine, monkeypatch, follow, follow).one_wins()
    assert "已在跟踪中" in lost.message
    assert db.execute(select(func.count()).select_from(Transfer).where(Transfer.measure_id == m.id)).scalar_one() == 1
    chain_holds(db)


def test_two_receipts_at_once_record_one(db, world, engine, monkeypatch):
    c, m = _case_with_transfer(db, world)
    leader = actor(db, world, "leader-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    db.commit()

    def receipt(s):
        return service.receipt(s, leader, t.id, on=date(2026, 9, 22)).status

    won, lost = race(engine, monkeypatch, receipt, receipt).one_wins()
    assert won == "received" and "已移送待签收" in lost.message
    assert audit_count(db, "transfer", t.id, "transfer.receipt") == 1
    chain_holds(db)
