from datetime import date

import pytest

from tests.cases.conftest import Flow
from tests.factories import actor, add_user


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
