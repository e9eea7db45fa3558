"""Exams: papers drawn per level, scoring, answers after the deadline not counted, review."""

from datetime import datetime, timedelta

import pytest

from greensword.core.errors import Conflict, PermissionDenied
from greensword.training import bank, exams

from .conftest import officer_actor

pytestmark = pytest.mark.db

T0 = datetime(2026, 3, 2, 9, 0)


def _right(qid):
    return bank.question(qid).answer


def _wrong(qid):
    q = bank.question(qid)
    return next(letter for letter, _ in q.options if letter != q.answer)


def test_paper_follows_level_mix_and_is_reproducible(db, world, exam):
    o = world.officers["330102-0"]
    a = exams.draw_questions(exam, o.id)
    assert len(a) == 30 and len(set(a)) == 30
    diffs = [bank.question(q).difficulty for q in a]
    assert diffs.count(1) == 15 and diffs.count(2) == 12 and diffs.count(3) == 3
    assert exams.draw_questions(exam, o.id) == a
    assert exams.draw_questions(exam, world.officers["330102-1"].id) != a


def test_score_counts_only_answers_in_time(db, world, exam):
    o = world.officers["330102-0"]
    actor = officer_actor(o)
    att = exams.start(db, actor, exam.id, at=T0)
    qs = att.question_ids
    exams.answer(db, actor, att.id, {q: _right(q) for q in qs[:10]}, at=T0 + timedelta(minutes=10))
    exams.answer(db, actor, att.id, {q: _wrong(q) for q in qs[10:12]}, at=T0 + timedelta(minutes=20))
    # the last 18 (all right) arrive one second after the 30-minute limit: not counted
    late = {q: _right(q) for q in qs[12:]}
    att = exams.submit(db, actor, att.id, late, at=T0 + timedelta(minutes=30, seconds=1))
    assert att.correct == 10
    assert att.score == pytest.approx(100 * 10 / 30, abs=0.01)
    assert set(att.late) == set(qs[12:])
    wrong = exams.review(db, actor, att.id)
    assert {w["id"] for w in wrong} == set(qs[10:])
    assert all(w["answer_text"] and w["article"] for w in wrong)
    assert sum(1 for w in wrong if w["late"]) == 18


def test_answer_just_in_time_counts(db, world, exam):
    o = world.officers["330106-0"]
    actor = officer_actor(o)
    att = exams.start(db, actor, exam.id, at=T0)
    qs = att.question_ids
    att = exams.submit(db, actor, att.id, {q: _right(q) for q in qs}, at=T0 + timedelta(minutes=30))
    assert att.score == 100.0 and att.late == {}


def test_no_second_submission_and_no_foreign_answers(db, world, exam):
    o = world.officers["330102-0"]
    actor = officer_actor(o)
    att = exams.start(db, actor, exam.id, at=T0)
    other = officer_actor(world.officers["330102-1"])
    with pytest.raises(PermissionDenied):
        exams.answer(db, other, att.id, {att.question_ids[0]: "A"}, at=T0)
    exams.submit(db, actor, att.id, at=T0 + timedelta(minutes=5))
    with pytest.raises(Conflict):
        exams.answer(db, actor, att.id, {att.question_ids[0]: "A"}, at=T0 + timedelta(minutes=6))


def test_timeout_closes_with_saved_answers(db, world, exam):
    from tests.factories import SYSTEM

    actor = officer_actor(world.officers["330203-0"])
    att = exams.start(db, actor, exam.id, at=T0)
    exams.answer(db, actor, att.id, {q: _right(q) for q in att.question_ids[:6]}, at=T0 + timedelta(minutes=1))
    assert exams.close_overdue(db, SYSTEM, exam.id, at=T0 + timedelta(minutes=29)) == 0
    assert exams.close_overdue(db, SYSTEM, exam.id, at=T0 + timedelta(minutes=31)) == 1
    assert att.score == 20.0
