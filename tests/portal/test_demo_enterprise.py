"""The portal's demo stages for electronic service, credit repair, the positive list and study run
through the services on a small world and leave each kind of activity."""

from datetime import date

import pytest
from sqlalchemy import func, select

from greensword.core.audit import AuditEntry
from greensword.demo.context import DemoContext
from greensword.portal import demo_enterprise
from greensword.portal.models.credit import CreditRepair
from greensword.portal.models.delivery import Delivery
from greensword.portal.models.positive import PositiveListing
from greensword.portal.models.study import StudyAttempt
from tests.portal.conftest import decide
from tests.portal.test_credit import closed_case


@pytest.mark.parametrize("seed", [1])
def test_stages_leave_enterprise_activity(db, world, flow, seed):
    closed_case(flow, rectified=False)           # the stage reports and verifies its rectification
    decide(flow, decided_on=date(2026, 3, 24))
    ctx = DemoContext(seed=seed, scale="small", today=date(2026, 12, 1))
    for stage in demo_enterprise.STAGES:
        stage(db, ctx)
    n = lambda model, *w: db.execute(select(func.count()).select_from(model).where(*w)).scalar_one()  # noqa: E731
    assert n(Delivery, Delivery.status == "served") == 1
    assert n(CreditRepair) == 1
    assert n(PositiveListing) >= 2 and n(StudyAttempt) > 0
    actions = set(db.execute(select(AuditEntry.action)).scalars())
    assert {"portal.delivery.open", "portal.credit.apply", "portal.study.submit", "cases.serve_electronic"} <= actions
