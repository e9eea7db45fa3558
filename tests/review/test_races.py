"""Two people acting on the same review file or round at once: one step applies, the other gets
the 409 a second click gets, and the audit chain holds one entry for it (core.locks)."""

from datetime import date

import pytest
from sqlalchemy import select

from greensword.registry.models import Agency
from greensword.review import service as review
from greensword.review.models import ReviewFile
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor
from tests.races import audit_count, chain_holds, race

pytestmark = pytest.mark.db


@pytest.fixture
def scored(db, world):
    """A round of 2 files of one county, both scored on 2026-07-01."""
    _closed_cases(db, world, "330102", 2)
    admin = actor(db, world, "admin-330000")
    rnd = review.create_round(db, admin, agency_id=world.agencies["330000"].id, name="2026年案卷评查",
                              start=date(2026, 1, 1), end=date(2026, 12, 31), seed="评查摇号 并发")
    files = db.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id)).scalars().all()
    for f in files:
        review.score_file(db, actor(db, world, f.reviewer), f.id, deductions={}, vetoes=[], on=date(2026, 7, 1))
    db.commit()
    return rnd, files


def test_two_appeals_of_one_file_at_once_appeal_once(db, world, engine, monkeypatch, scored):
    _, [f, _] = scored
    leader = actor(db, world, f"leader-{db.get(Agency, f.unit_id).division_code}")

    def appeal(s):
        return review.appeal(s, leader, f.id, "笔录已由当事人签名，见卷宗第12页", on=date(2026, 7, 3)).second_reviewer

    _, lost = race(engine, monkeypatch, appeal, appeal).one_wins()
    assert "已评分、未申诉" in lost.message
    assert audit_count(db, "review_file", f.id, "review.appeal") == 1
    chain_holds(db)


def test_two_publications_of_one_round_at_once_publish_once(db, world, engine, monkeypatch, scored):
    rnd, _ = scored
    admin = actor(db, world, "admin-330000")

    def publish(s):
        return review.publish(s, admin, review.get_round(s, rnd.id), on=date(2026, 7, 20)).published_on

    _, lost = race(engine, monkeypatch, publish, publish).one_wins()
    assert "已于 2026-07-20 公布" in lost.message
    assert audit_count(db, "review_round", rnd.id, "review.publish") == 1
    chain_holds(db)
