"""Two people acting on the same warning, rectification item, self-check period or credit repair at
once: one step applies, the other gets the 409 a second click gets, and the audit chain holds one
entry for it (core.locks)."""

from datetime import date

import pytest

from greensword.core.errors import ValidationFailed
from greensword.portal import credit, rectify, selfcheck, uploads
from greensword.portal import warnings as service
from greensword.portal.models.rectification import Rectification
from greensword.portal.uploads import Upload
from tests.factories import actor
from tests.portal.conftest import JPEG, PDF, PNG
from tests.portal.test_credit import closed_case
from tests.portal.test_selfchecks_and_rectification import _answers
from tests.races import audit_count, chain_holds, race

pytestmark = pytest.mark.db


def test_two_reminders_of_one_lead_at_once_send_one_warning(db, world, engine, monkeypatch, lead):
    off = actor(db, world, "officer-330102")

    def remind(s):
        return service.remind(s, off, lead.id).id

    race(engine, monkeypatch, remind, remind).one_wins()
    assert audit_count(db, "offsite_lead", lead.id, "offsite.lead.remind") == 1
    assert sum(1 for _ in service.list_warnings(db, off)) == 1
    chain_holds(db)


def test_accepting_and_escalating_one_answer_at_once_decides_once(db, world, engine, monkeypatch, lead):
    off, firm = actor(db, world, "officer-330102"), actor(db, world, "ent-330102-key")
    w = service.remind(db, off, lead.id)
    service.answer(db, firm, w.id, kind="explain", text="当日为设备校准，附运维记录",
                   files=[uploads.Upload("现场.jpg", JPEG)])
    db.commit()
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]

    def accept(s):
        return service.decide(s, off, w.id, decision="accept", note="说明成立").status

    def escalate(s):
        return service.decide(s, off, w.id, decision="escalate", note="证据不足", officer_ids=offs).status

    won, lost = race(engine, monkeypatch, accept, escalate).one_wins()
    assert "状态" in lost.message
    decided = sum(audit_count(db, "portal_warning", w.id, f"portal.warning.{d}") for d in ("accept", "escalate"))
    assert decided == 1
    chain_holds(db)


def test_two_answers_to_one_warning_at_once_store_one(db, world, engine, monkeypatch, lead):
    off, firm = actor(db, world, "officer-330102"), actor(db, world, "ent-330102-key")
    w = service.remind(db, off, lead.id)
    db.commit()

    def answer(s):
        return service.answer(s, firm, w.id, kind="explain", text="设备校准，附记录",
                              files=[uploads.Upload("记录.pdf", PDF)]).status

    _, lost = race(engine, monkeypatch, answer, answer).one_wins()
    assert "不能再答复" in lost.message
    assert audit_count(db, "portal_warning", w.id, "portal.warning.answer") == 1
    chain_holds(db)


def test_closing_and_returning_one_report_at_once_checks_once(db, world, engine, monkeypatch):
    firm, off = actor(db, world, "ent-330102-key"), actor(db, world, "officer-330102")
    ent = world.enterprises["330102-key"]
    code = selfcheck.checklist(ent).items[2].code
    results, notes = _answers(ent, code)
    selfcheck.submit(db, firm, results=results, notes=notes, note="", files=[uploads.Upload("a.jpg", JPEG)])
    [item] = rectify.list_items(db, firm)
    rectify.report(db, firm, item.id, "已补记台账", [uploads.Upload("台账.png", PNG)])
    db.commit()

    def close(s):
        return rectify.verify(s, off, item.id, close=True, note="核查属实").status

    def give_back(s):
        return rectify.verify(s, off, item.id, close=False, note="照片看不清").status

    won, lost = race(engine, monkeypatch, close, give_back).one_wins()
    db.expire_all()
    assert db.get(Rectification, item.id).status == won and "企业报告整改后才能核查" in lost.message
    checked = sum(audit_count(db, "portal_rectification", item.id, f"portal.rectification.{k}")
                  for k in ("close", "return"))
    assert checked == 1 and [r.kind for r in rectify.reports(db, item)] == ["report", {"closed": "close"}.get(won, "return")]
    chain_holds(db)


def test_two_self_checks_of_one_period_at_once_store_one(db, world, engine, monkeypatch):
    firm = actor(db, world, "ent-330102-key")
    ent = world.enterprises["330102-key"]
    results, notes = _answers(ent, selfcheck.checklist(ent).items[2].code)

    def submit(s):
        return selfcheck.submit(s, firm, results=results, notes=notes, note="",
                                files=[uploads.Upload("a.jpg", JPEG)]).id

    _, lost = race(engine, monkeypatch, submit, submit).one_wins()
    assert "自查已提交" in lost.message
    assert len(rectify.list_items(db, firm)) == 1
    chain_holds(db)


def test_credit_repair_applied_twice_and_reviewed_twice_at_once(db, world, engine, monkeypatch, flow):
    c = closed_case(flow)
    db.commit()
    firm = actor(db, world, "ent-330102-key")

    def apply(s):
        return credit.apply(s, firm, c.id, explanation="已缴清罚款并完成整改", commitment=True,
                            uploads=[Upload("receipt.pdf", PDF)], on=date(2026, 6, 23)).id

    rid, lost = race(engine, monkeypatch, apply, apply).one_wins(ValidationFailed)   # as a second application is
    assert "已申请" in lost.message
    assert [row["repair"].id for row in credit.reviews(db, flow.leader)] == [rid]

    def approve(s):
        return credit.review(s, flow.leader, rid, approve=True, reason="已履行", on=date(2026, 6, 30)).status

    def reject(s):
        return credit.review(s, flow.leader, rid, approve=False, reason="材料不全", on=date(2026, 6, 30)).status

    _, lost = race(engine, monkeypatch, approve, reject).one_wins()
    assert "已审核" in lost.message
    reviewed = sum(audit_count(db, "portal_credit_repair", rid, f"portal.credit.{k}") for k in ("approved", "rejected"))
    assert reviewed == 1
    chain_holds(db)


def test_one_answer_sheet_posted_twice_at_once_earns_once(db, world, engine, monkeypatch):
    """Each question earns once per enterprise, ever — also when the same right answers arrive
    twice at the same moment (both answered: the second as practice, not a 500)."""
    from greensword.cases import service as cases
    from greensword.portal import study
    from tests.portal.test_study import AT

    firm = actor(db, world, "ent-330102-small")
    qs = study.draw(db, firm, on=AT.date())[:3]
    sheet = {q.id: q.answer for q in qs}

    def submit(s):
        return study.submit(s, firm, sheet, at=AT).earned

    out = race(engine, monkeypatch, submit, submit)
    assert sorted(map(len, out.results)) == [0, 3], out.results
    assert cases.points_balance(db, firm.enterprise_id) == sum(study.points_of(q) for q in qs)
    assert audit_count(db, "enterprise", firm.enterprise_id, "cases.points.earn") == 1
    chain_holds(db)


def test_two_answer_sheets_at_once_stay_under_the_monthly_cap(db, world, engine, monkeypatch):
    from greensword.cases import service as cases
    from greensword.portal import study
    from tests.portal.test_study import AT

    firm = actor(db, world, "ent-330102-small")
    cap = study.rules().cap.points
    bank = iter(study.bank_for(world.enterprises["330102-small"]))
    first, second = {}, {}
    for sheet in (first, second):       # each sheet worth 2/3 of the cap: one fits, both do not
        while sum(study.points_of(q) for q in sheet.values()) < cap * 2 // 3:
            q = next(bank)
            sheet[q.id] = q
    first, second = ({k: q.answer for k, q in x.items()} for x in (first, second))
    assert first and second

    out = race(engine, monkeypatch, lambda s: study.submit(s, firm, first, at=AT).earned,
               lambda s: study.submit(s, firm, second, at=AT).earned)
    assert not [r for r in out.results if isinstance(r, BaseException)], out.results
    assert cases.points_balance(db, firm.enterprise_id) <= cap
    chain_holds(db)
