"""Exams drawn from the question bank per level, with a time limit: answers saved after the
deadline are kept (for the record) but never counted; scoring and the review of wrong answers."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, PermissionDenied, check_agency, require_role
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.locks import lock_row
from ..core.timeutil import aware, now
from ..registry.models import Agency, Officer
from . import bank, rules
from .models import Attempt, Exam


def _exam_state(e: Exam) -> dict:
    return {"agency_id": e.agency_id, "title": e.title, "level": e.level, "n_questions": e.n_questions,
            "time_limit_min": e.time_limit_min, "pass_score": e.pass_score, "laws": e.laws, "seed": e.seed,
            "opens_on": e.opens_on, "closes_on": e.closes_on}


def create_exam(session: Session, actor: Actor, *, agency_id: int, title: str, level: str, opens_on: date,
                closes_on: date, laws: list[str] | None = None, n_questions: int | None = None,
                time_limit_min: int | None = None, seed: str | None = None) -> Exam:
    require_role(actor, "admin", "leader")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("机构不存在", code="training.agency_not_found")
    check_agency(actor, agency.path, "该机构")
    er = rules.exams()
    if level not in er.levels:
        raise ValidationFailed("考试级别应为县级、市级、省级或国家级", code="training.bad_level")
    spec = er.levels[level]
    laws = sorted(set(laws or []))
    unknown = [c for c in laws if c not in bank.laws()]
    if unknown:
        raise ValidationFailed(f"题库中没有这些法规：{'、'.join(unknown)}", code="training.unknown_law")
    n = n_questions or spec.questions
    pool = bank.questions(laws or None)
    if not 1 <= n <= len(pool):
        raise ValidationFailed(f"题量应在 1–{len(pool)} 之间", code="training.bad_count")
    minutes = time_limit_min or spec.minutes
    if not 1 <= minutes <= 600:
        raise ValidationFailed("考试时长应在1–600分钟之间", code="training.bad_minutes")
    if closes_on < opens_on:
        raise ValidationFailed("截止日期不能早于开始日期", code="training.bad_dates")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("考试名称不能为空", code="training.bad_title")
    e = Exam(agency_id=agency_id, title=title[:200], level=level, n_questions=n, time_limit_min=minutes,
             pass_score=spec.pass_mark, laws=laws, seed=seed or hashlib.sha256(f"{title}{now()}".encode()).hexdigest()[:16],
             opens_on=opens_on, closes_on=closes_on, created_at=now())
    session.add(e)
    session.flush()
    audit.record(session, actor, "training.exam.create", "training_exam", e.id, _exam_state(e))
    return e


def get_exam(session: Session, exam_id: int) -> Exam:
    e = session.get(Exam, exam_id)
    if e is None:
        raise NotFound("考试不存在", code="training.exam_not_found")
    return e


def list_exams(session: Session, actor: Actor, limit: int | None = 200) -> list[Exam]:
    exams = session.execute(select(Exam).order_by(Exam.opens_on.desc(), Exam.id.desc()).limit(limit)).scalars()
    ap = actor.agency_path or ""
    out = []
    for e in exams:
        path = session.get(Agency, e.agency_id).path
        if ap == "/" or path.startswith(ap) or (ap and ap.startswith(path)):
            out.append(e)
    return out


def draw_questions(exam: Exam, officer_id: int) -> list[str]:
    """The officer's paper: per difficulty, the questions with the smallest SHA-256 of
    (exam seed, officer, question id), in the level's mix; deterministic and reproducible."""
    spec = rules.exams().levels[exam.level]
    pool = bank.questions(exam.laws or None)

    def key(q):
        return hashlib.sha256(f"{exam.seed}:{officer_id}:{q.id}".encode()).hexdigest()

    by_diff: dict[int, list] = {}
    for q in sorted(pool, key=key):
        by_diff.setdefault(q.difficulty, []).append(q)
    want = {d: int(round(share * exam.n_questions)) for d, share in spec.mix.items()}
    chosen: list = []
    for d in sorted(want):
        chosen += by_diff.get(d, [])[:want[d]]
    # rounding or a thin difficulty: fill from the rest by the same order
    if len(chosen) < exam.n_questions:
        taken = {q.id for q in chosen}
        chosen += [q for q in sorted(pool, key=key) if q.id not in taken][:exam.n_questions - len(chosen)]
    chosen = chosen[:exam.n_questions]
    # laws mixed, not grouped: final order by key
    return [q.id for q in sorted(chosen, key=key)]


def _officer(session: Session, actor: Actor) -> Officer:
    if actor.officer_id is None:
        raise PermissionDenied("只有关联执法人员档案的账号可以参加考试", code="training.not_an_officer")
    return session.get(Officer, actor.officer_id)


def start(session: Session, actor: Actor, exam_id: int, *, at: datetime | None = None) -> Attempt:
    e = get_exam(session, exam_id)
    officer = _officer(session, actor)
    at = aware(at) if at else now()
    if not e.opens_on <= at.date() <= e.closes_on:
        raise ValidationFailed(f"考试开放时间为 {e.opens_on} 至 {e.closes_on}", code="training.exam_closed")
    path = session.get(Agency, e.agency_id).path
    if not officer.agency.path.startswith(path):
        raise PermissionDenied("本考试不面向您所在单位", code="training.exam_not_for_unit")
    lock_row(session, Officer, officer.id)          # one attempt per exam, also when started twice at once
    old = session.execute(select(Attempt).where(Attempt.exam_id == e.id, Attempt.officer_id == officer.id)
                          ).scalar_one_or_none()
    if old is not None:
        return old                                      # resume (the clock keeps running)
    a = Attempt(exam_id=e.id, officer_id=officer.id, question_ids=draw_questions(e, officer.id), started_at=at,
                deadline_at=at + timedelta(minutes=e.time_limit_min), answers={}, late={})
    session.add(a)
    session.flush()
    audit.record(session, actor, "training.exam.start", "training_attempt", a.id,
                 {"exam_id": e.id, "officer_id": officer.id, "questions": a.question_ids,
                  "deadline_at": a.deadline_at})
    return a


def get_attempt(session: Session, actor: Actor, attempt_id: int, *, lock: bool = False) -> Attempt:
    """``lock=True`` to answer or hand in: the attempt is locked until the commit and read after the
    lock (core.locks) — two saves at once keep both's answers, and a paper is handed in once."""
    a = lock_row(session, Attempt, attempt_id) if lock else session.get(Attempt, attempt_id)
    if a is None:
        raise NotFound("答卷不存在", code="training.attempt_not_found")
    if actor.officer_id != a.officer_id:
        o = session.get(Officer, a.officer_id)
        require_role(actor, "admin", "leader")
        check_agency(actor, o.agency.path, "该答卷")
    return a


def answer(session: Session, actor: Actor, attempt_id: int, answers: dict[str, str], *,
           at: datetime | None = None) -> Attempt:
    """Save answers. Those received after the deadline go to ``late`` and are never scored."""
    a = get_attempt(session, actor, attempt_id, lock=True)
    if actor.officer_id != a.officer_id:
        raise PermissionDenied("只能作答本人的试卷", code="training.not_own_attempt")
    if a.submitted_at is not None:
        raise Conflict("试卷已交卷，不能再作答", code="training.already_submitted")
    at = aware(at) if at else now()
    clean = {}
    for qid, ans in answers.items():
        if qid not in a.question_ids:
            raise ValidationFailed(f"题目 {qid} 不在本试卷中", code="training.not_in_paper")
        ans = "".join(sorted(set(str(ans).strip().upper())))
        if not ans or any(c not in "ABCD" for c in ans) or len(ans) > 4:
            raise ValidationFailed(f"题目 {qid} 的答案应为选项字母", code="training.bad_answer")
        clean[qid] = ans
    if at > aware(a.deadline_at):
        a.late = {**a.late, **{k: {"answer": v, "at": at.isoformat()} for k, v in clean.items()}}
        audit.record(session, actor, "training.exam.answer_late", "training_attempt", a.id,
                     {"late": sorted(clean), "at": at})
    else:
        a.answers = {**a.answers, **clean}
        audit.record(session, actor, "training.exam.answer", "training_attempt", a.id,
                     {"answered": sorted(clean), "at": at})
    return a


def submit(session: Session, actor: Actor, attempt_id: int, answers: dict[str, str] | None = None, *,
           at: datetime | None = None) -> Attempt:
    """Hand in (with any last answers, counted only when they arrive in time) and score."""
    a = get_attempt(session, actor, attempt_id, lock=True)
    if answers:
        answer(session, actor, attempt_id, answers, at=at)
    elif actor.officer_id != a.officer_id:
        raise PermissionDenied("只能提交本人的试卷", code="training.not_own_attempt")
    if a.submitted_at is not None:
        raise Conflict("试卷已交卷", code="training.already_submitted")
    at = aware(at) if at else now()
    _score(a)
    a.submitted_at = min(at, aware(a.deadline_at))
    audit.record(session, actor, "training.exam.submit", "training_attempt", a.id,
                 {"score": a.score, "correct": a.correct, "counted": sorted(a.answers), "late": sorted(a.late)})
    return a


def close_overdue(session: Session, actor: Actor, exam_id: int, *, at: datetime | None = None) -> int:
    """Score the attempts whose time ran out without hand-in (what was saved in time counts)."""
    require_role(actor, "admin", "leader")
    at = aware(at) if at else now()
    n = 0
    for a in session.execute(select(Attempt).where(Attempt.exam_id == exam_id, Attempt.submitted_at.is_(None))
                             ).scalars():
        if aware(a.deadline_at) < at:
            _score(a)
            a.submitted_at = a.deadline_at
            audit.record(session, actor, "training.exam.timeout", "training_attempt", a.id, {"score": a.score})
            n += 1
    return n


def _score(a: Attempt) -> None:
    correct = sum(1 for qid in a.question_ids if a.answers.get(qid) == bank.question(qid).answer)
    a.correct = correct
    a.score = round(100.0 * correct / len(a.question_ids), 2) if a.question_ids else 0.0


def paper(a: Attempt) -> list[dict]:
    return [bank.question(qid).as_dict() | {"given": a.answers.get(qid, "")} for qid in a.question_ids]


def review(session: Session, actor: Actor, attempt_id: int) -> list[dict]:
    """Wrong or unanswered questions of a handed-in paper, with the right answer and its source."""
    a = get_attempt(session, actor, attempt_id)
    if a.submitted_at is None:
        raise Conflict("交卷后才能查看错题", code="training.not_submitted")
    out = []
    for qid in a.question_ids:
        q = bank.question(qid)
        given = a.answers.get(qid, "")
        if given != q.answer:
            out.append(q.as_dict() | {"given": given, "given_text": q.option(given) if given else "未作答",
                                      "answer_text": q.option(q.answer),
                                      "late": qid in a.late})
    return out


def results(session: Session, exam_id: int) -> list[Attempt]:
    return list(session.execute(select(Attempt).where(Attempt.exam_id == exam_id)
                                .order_by(Attempt.score.desc().nulls_last(), Attempt.officer_id)).scalars())
