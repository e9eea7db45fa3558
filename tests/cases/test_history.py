"""A step's checks read the case's history (events, documents, pauses, payments, recusals) from
the case's lists (models.Case), read once per transaction after the case's lock and kept whole by
the services: a step sees what the steps before it in the same transaction added, before any
flush, and a later transaction sees what others added meanwhile."""

from datetime import date

import pytest
from sqlalchemy.orm import Session

from greensword.cases import service
from greensword.cases.models import Case, CaseEvent, Pause
from greensword.core import locks
from greensword.core.auth import Actor
from greensword.core.errors import IllegalTransition

pytestmark = pytest.mark.db
AIR = {"ratio": "0.5-1倍", "duration": "单次", "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"}


def _investigating(flow, db, **kw):
    c = flow.open()
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    service.apply_discretion(db, flow.officer, c, answers=AIR, **kw)
    return c


def test_a_step_sees_the_rows_the_steps_before_it_added_without_a_flush(flow, db):
    """The demo build's way (one transaction holding the write lock): rows added by one step are
    still pending when the next step's checks read them from the case's lists."""
    c = _investigating(flow, db)
    db.commit()
    with locks.exclusive(db):
        flow.act(c, "pause", date(2026, 3, 5), flow.officer, kind="monitoring", document="监测委托书")
        pending = [x for x in db.new if isinstance(x, Pause)]
        assert len(pending) == 1 and pending[0] in c.pauses
        with pytest.raises(IllegalTransition, match="尚未结束"):
            flow.act(c, "pause", date(2026, 3, 6), flow.officer, kind="monitoring", document="监测委托书")
        assert [x for x in db.new if isinstance(x, Pause)] == pending      # still not flushed
        flow.act(c, "end_pause", date(2026, 3, 8), flow.officer, kind="monitoring")
        assert pending[0].ended_on == date(2026, 3, 8)
        # 查处分离 from an event not yet written: whoever submitted the case cannot approve it
        assert c.events                          # the list is loaded (a new case's always is)
        both = Actor(username="someone-else", roles=frozenset({"officer", "reviewer"}),
                     agency_path=flow.officer.agency_path)
        service.act(db, both, c.id, "submit_review", on=date(2026, 3, 10))
        submitted = [x for x in db.new if isinstance(x, CaseEvent) and x.action == "submit_review"]
        assert len(submitted) == 1 and submitted[0] in c.events
        with pytest.raises(IllegalTransition, match="查处分离"):
            service.act(db, both, c.id, "approve_review", on=date(2026, 3, 11))
        assert submitted[0] in db.new
    db.commit()
    db.expire_all()
    assert [(p.kind, p.ended_on) for p in service.pauses(db, db.get(Case, c.id))] == [("monitoring", date(2026, 3, 8))]


def test_locking_the_case_reads_its_history_again(flow, db, engine):
    """Lists loaded in an earlier transaction are read again when a step locks the case: a
    recusal applied from another session in between is seen."""
    c = _investigating(flow, db)
    flow.act(c, "submit_review", date(2026, 3, 10), flow.officer)
    assert c.recusals == []                   # loaded in this session
    db.commit()
    with Session(engine, expire_on_commit=False) as other:
        oc = other.get(Case, c.id)
        service.apply_recusal(other, flow.officer, oc, person="reviewer-330102", reason="与当事人法定代表人系近亲属",
                              on=date(2026, 3, 10))
        other.commit()
    with pytest.raises(IllegalTransition, match="回避"):
        flow.act(c, "approve_review", date(2026, 3, 11), flow.reviewer)
    assert [r.person for r in c.recusals] == ["reviewer-330102"]


def test_documents_and_payments_from_the_lists(flow, db):
    """Document versions, signing at service and payments (in date order) within one transaction."""
    c = _investigating(flow, db, fine=150_000, departure_reason="首次违法，及时改正")
    flow.act(c, "submit_review", date(2026, 3, 10), flow.officer)
    flow.act(c, "approve_review", date(2026, 3, 11), flow.reviewer)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    service.generate_document(db, flow.officer, c, "notice", on=date(2026, 3, 12))
    service.generate_document(db, flow.officer, c, "notice", on=date(2026, 3, 13))
    assert [d.version for d in c.documents if d.kind == "notice"] == [1, 2, 3]
    flow.act(c, "decide", date(2026, 3, 30), hearing_waived=True, defence_received=True)
    flow.act(c, "serve", date(2026, 3, 31), flow.officer)
    assert [d.signed for d in c.documents if d.kind == "decision"] == [True]
    owed = c.fine - c.offset_yuan
    flow.act(c, "record_payment", date(2026, 4, 3), flow.officer, amount=owed - 100)
    with pytest.raises(IllegalTransition, match="尚未缴清"):
        flow.act(c, "close", date(2026, 4, 4))
    flow.act(c, "record_payment", date(2026, 4, 4), flow.officer, amount=100)
    assert c.paid_on == date(2026, 4, 4)
    flow.act(c, "close", date(2026, 4, 5))
    db.flush()
    db.expire_all()
    got = db.get(Case, c.id)
    assert [(d.kind, d.version, d.signed) for d in service.case_documents(db, got) if d.kind in ("notice", "decision")] \
        == [("notice", 1, False), ("notice", 2, False), ("notice", 3, False), ("decision", 1, True)]
    assert [p.amount for p in service.payments(db, got)] == [owed - 100, 100]
