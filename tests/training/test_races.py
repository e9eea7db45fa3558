"""Two requests on the same exam paper at once: two saves keep both's answers, a paper is handed in
and scored once, and an exam is started once per officer (core.locks)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from greensword.training import exams
from greensword.training.models import Attempt
from tests.races import audit_count, chain_holds, race

from .conftest import officer_actor
from .test_exams import T0, _right

pytestmark = pytest.mark.db


@pytest.fixture
def paper(db, world, exam):
    actor = officer_actor(world.officers["330102-0"])
    att = exams.start(db, actor, exam.id, at=T0)
    db.commit()
    return actor, att


def test_two_saves_of_one_paper_at_once_keep_both_answers(db, engine, monkeypatch, paper):
    actor, att = paper
    first, second = att.question_ids[:5], att.question_ids[5:10]

    def save(qs):
        return lambda s: len(exams.answer(s, actor, att.id, {q: _right(q) for q in qs},
                                          at=T0 + timedelta(minutes=5)).answers)

    out = race(engine, monkeypatch, save(first), save(second))
    assert sorted(out.results) == [5, 10], out.results
    db.expire_all()
    assert set(db.get(Attempt, att.id).answers) == set(first + second)
    chain_holds(db)


def test_one_paper_handed_in_twice_at_once_is_scored_once(db, engine, monkeypatch, paper):
    actor, att = paper

    def hand_in(s):
        return exams.submit(s, actor, att.id, at=T0 + timedelta(minutes=10)).score

    _, lost = race(engine, monkeypatch, hand_in, hand_in).one_wins()
    assert "已交卷" in lost.message
    assert audit_count(db, "training_attempt", att.id, "training.exam.submit") == 1
    chain_holds(db)


def test_one_exam_started_twice_at_once_gives_one_paper(db, world, engine, monkeypatch, exam):
    actor = officer_actor(world.officers["330102-1"])
    db.commit()

    out = race(engine, monkeypatch, lambda s: exams.start(s, actor, exam.id, at=T0).id,
               lambda s: exams.start(s, actor, exam.id, at=T0).id)
    assert out.results[0] == out.results[1], out.results          # the second resumes the first's paper
    assert db.execute(select(func.count()).select_from(Attempt)).scalar_one() == 1
    chain_holds(db)
