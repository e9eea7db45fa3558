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
