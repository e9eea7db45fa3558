from datetime import date

import pytest

from greensword.core.auth import Actor
from tests.factories import SYSTEM


def officer_actor(o) -> Actor:
    return Actor(username=f"o{o.id}", roles=frozenset({"officer"}), agency_id=o.agency_id,
                 agency_path=o.agency.path, officer_id=o.id)


@pytest.fixture
def officers(world):
    return world.officers


@pytest.fixture
def exam(db, world):
    from greensword.training import exams

    e = exams.create_exam(db, SYSTEM, agency_id=world.agencies["330000"].id, title="2026年度执法理论考试",
                          level="county", opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31), seed="s1")
    db.flush()
    return e
