from datetime import date

import pytest
from sqlalchemy import select

from greensword.cases import service
from greensword.cases.models import Case
from greensword.core.audit import verify
from greensword.core.auth import Actor
from greensword.demo.cli import run_demo

pytestmark = pytest.mark.slow


def test_demo_cases_follow_the_procedure(db, monkeypatch):
    """The demo's cases go through the real services with separate people for separate jobs: every
    decision within its limit, summary decisions within the amounts, the audit chain intact."""
    monkeypatch.setattr("greensword.demo.cli.DOMAINS", ("registry", "inspection", "cases"))
    today = date(2026, 11, 1)
    run_demo(db, scale="small", seed=2, today=today)
    cases = db.execute(select(Case)).scalars().all()
    assert cases and any(c.summary for c in cases) and any(c.stage == "archived" for c in cases)
    for c in cases:
        if c.decided_on and not c.summary:
            assert c.decided_on <= service.decision_deadline(db, c, today)
        if c.summary:
            assert (c.fine or 0) <= 3_000
        by = service.investigators(db, c)
        deciders = {e.by for e in service.events(db, c) if e.action in ("decide", "decide_non_penalty", "approve_review",
                                                                        "legal_review", "hold_hearing")}
        assert not deciders & by
    admin = Actor.system("check")
    assert service.publishable_decisions(db, admin)
    assert verify(db).ok


def _links(db):
    from greensword.complaint.models import Complaint
    from greensword.offsite.models import Lead

    leads = {x.id: x for x in db.execute(select(Lead)).scalars()}
    complaints = {x.case_ref: x for x in db.execute(select(Complaint).where(Complaint.case_ref.is_not(None))).scalars()}
    cases = db.execute(select(Case).order_by(Case.id)).scalars().all()
    return leads, complaints, cases


def _run(session, seed):
    from greensword.demo.cli import run_demo

    return run_demo(session, scale="small", seed=seed, today=date(2026, 11, 1))


def test_demo_cases_know_the_lead_or_complaint_they_came_from(db, engine, tmp_path, monkeypatch):
    """The demo's leads span its two years and come before the checks and cases made of them: a
    lead-sourced case carries its lead (raised before the case was discovered), a check of a lead
    passes it on to the case opened from the check, a complaint-sourced case is recorded on its
    complaint — so 线索立案转化率 is a real figure in both years; the same seed, the same links."""
    from greensword.core.db import make_engine, session_factory
    from greensword.core.migrate import upgrade
    from greensword.evaluation import statistics
    from greensword.registry.models import Agency

    monkeypatch.setattr("greensword.demo.cli.DOMAINS", ("registry", "offsite", "complaint", "inspection", "cases"))
    _run(db, 2)
    leads, complaints, cases = _links(db)
    assert {x.created_at.year for x in leads.values()} >= {2025, 2026}
    assert any(c.lead_id is not None and c.source == "lead" for c in cases)
    from greensword.inspection.models import Record, Task

    task_of = dict(db.execute(select(Record.id, Record.task_id)).all())
    lead_task = {x.task_id: x.id for x in leads.values() if x.task_id}
    lead_checks = {t.id for t in db.execute(select(Task).where(Task.source == "lead")).scalars()}
    assert lead_checks <= set(lead_task)                             # every lead check is on its lead
    for c in cases:
        if c.record_id is not None and task_of[c.record_id] in lead_checks:
            assert c.lead_id == lead_task[task_of[c.record_id]], c.number
        if c.source == "lead":
            assert c.lead_id is not None, c.number
        if c.lead_id is not None:
            assert leads[c.lead_id].created_at.date() < c.discovered_on, c.number
            assert leads[c.lead_id].status in ("inspection", "closed")
        if c.source == "complaint":
            assert complaints[c.number].concluded_on <= c.discovered_on
    assert any(c.source == "complaint" for c in cases)
    province = db.execute(select(Agency).where(Agency.level == "province")).scalar_one()
    for year in (2025, 2026):
        f = statistics.compute(db, statistics.Filters(date(year, 1, 1), date(year, 10, 31)))[province.id]
        assert f.values["leads"] >= 3 and 0 < f.rate("lead_conversion") < 1, year
        assert f.values["cases_filed"] >= 5 and f.values["inspections"] >= 20, year
    assert not [x for x in leads.values() if x.status == "screened"]        # every confirmed lead was taken up
    first = [(c.number, c.source, c.lead_id, c.discovered_on) for c in cases]
    db.commit()

    url = f"sqlite:///{tmp_path / 'again.db'}"
    upgrade(url)
    other = session_factory(make_engine(url))()
    _run(other, 2)
    assert [(c.number, c.source, c.lead_id, c.discovered_on) for c in _links(other)[2]] == first
    other.close()
