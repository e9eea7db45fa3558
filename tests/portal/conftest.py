from datetime import date, datetime

import pytest

from tests.cases.conftest import Flow
from tests.factories import actor, add_user

#: the smallest files the upload check takes for each type (head and end marker)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 200 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_lead(db, world, county: str = "330102", *, confirm: bool = True, start=datetime(2026, 3, 2, 8)):
    """One exceedance lead on the county's key firm's gas point, screened (confirmed)."""
    from datetime import timedelta

    from greensword.offsite import service as offsite
    from greensword.offsite.detectors import Finding


    gas = world.points[f"{county}-gas"]
    f = Finding(mn=gas.mn, factor="a21026", detector="exceedance", start=start, end=start + timedelta(hours=3),
                score=2.0, explanation="二氧化硫折算浓度连续3小时超过限值 35 mg/m3", thresholds={"min_hours": 1})
    admin = actor(db, world, f"admin-{county}")
    offsite.ingest(db, admin, [f], "/nonexistent-lake")
    lead = [x for x in offsite.list_leads(db, admin) if x.mn == gas.mn][0]
    if confirm:
        offsite.act(db, actor(db, world, f"officer-{county}"), lead.id, "confirm", reason="数据异常，确认")
    db.commit()
    return lead


@pytest.fixture
def lead(db, world):
    return make_lead(db, world)



def decide(flow: Flow, *, decided_on=date(2026, 3, 23)):
    """A penalty case of 330102-key decided on ``decided_on`` (not yet served)."""
    c = flow.open()
    flow.to_reviewed(c)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    flow.act(c, "legal_review", date(2026, 3, 20), flow.reviewer, opinion="approve", qualification="A1",
             defence_received=True, hearing_waived=True)
    flow.act(c, "discuss", date(2026, 3, 20), participants=["甲", "乙", "丙"], conclusion="同意")
    flow.act(c, "decide", decided_on, fine=c.fine_proposed)
    return c


@pytest.fixture
def flow(db, world):
    return Flow(db, world)


@pytest.fixture
def firm_admin(db, world):
    """An enterprise administrator of 330102-key (``ent-330102-key-admin``)."""
    add_user(db, "ent-330102-key-admin", ["enterprise", "enterprise_admin"], enterprise=world.enterprises["330102-key"])
    db.commit()
    return actor(db, world, "ent-330102-key-admin")
