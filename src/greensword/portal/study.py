"""学法积分 (rules/portal/study.yaml): study questions drawn per industry from the shared law-fact
bank (``core.lawbank``: the facts the officers' bank uses); each question earns once per
enterprise and only when answered right at its first attempt; at most the monthly cap; the
points are credited in the cases ledger (``cases.service.record_study``), where offsets against
fines stay within the discretion rules' limits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core import audit, lawbank
from ..core.auth import Actor
from ..core.errors import PermissionDenied, ValidationFailed
from ..core.locks import lock_row
from ..core.rules import Source, load, register
from ..core.timeutil import TZ, now
from ..registry import service as registry
from ..registry.models import Enterprise
from .models.study import StudyAttempt


class IndustryLaws(BaseModel):
    prefix: str
    laws: list[str]
    name: str = ""


class LawSets(BaseModel):
    common: list[str]
    by_industry: list[IndustryLaws]
    key_polluter: list[str]


class Cap(BaseModel):
    period: Literal["month"]
    points: int


class StudyRules(BaseModel):
    source: Source
    laws: LawSets
    points: dict[str, int]
    cap: Cap
    quiz_size: int
    include_unverified: bool


register("portal/study.yaml", StudyRules)


def rules() -> StudyRules:
    return load("portal/study.yaml", StudyRules)


def law_codes(e: Enterprise) -> list[str]:
    """The laws this firm studies: the common ones, its industry's (longest prefix), and the
    monitoring standards for key dischargers."""
    r = rules().laws
    codes = list(r.common)
    match = max((x for x in r.by_industry if (e.industry_code or "").startswith(x.prefix)),
                key=lambda x: len(x.prefix), default=None)
    if match:
        codes += match.laws
    if e.key_polluter:
        codes += r.key_polluter
    known = lawbank.laws()
    return [c for i, c in enumerate(codes) if c in known and c not in codes[:i]]


def bank_for(e: Enterprise) -> list[lawbank.Question]:
    r = rules()
    return [q for q in lawbank.questions(law_codes(e)) if r.include_unverified or q.verified]


def points_of(q: lawbank.Question) -> int:
    return rules().points.get(str(q.difficulty), 0)


def _firm(session: Session, actor: Actor) -> Enterprise:
    if not actor.is_enterprise or actor.enterprise_id is None:
        raise PermissionDenied("学法积分仅限企业用户", code="portal.enterprise_only")
    return registry.get_enterprise(session, actor, actor.enterprise_id)


def _attempted(session: Session, enterprise_id: int) -> set[str]:
    return set(session.execute(select(StudyAttempt.question).where(
        StudyAttempt.enterprise_id == enterprise_id, StudyAttempt.first.is_(True))).scalars())


def period_bounds(on: date) -> tuple[datetime, datetime]:
    start = date(on.year, on.month, 1)
    end = date(on.year + (on.month == 12), on.month % 12 + 1, 1)
    return datetime.combine(start, time(0), TZ), datetime.combine(end, time(0), TZ)


def cap_left(session: Session, enterprise_id: int, on: date) -> int:
    """Points the firm may still earn by study in the period of ``on``."""
    lo, hi = period_bounds(on)
    got = session.execute(select(func.coalesce(func.sum(StudyAttempt.points), 0)).where(
        StudyAttempt.enterprise_id == enterprise_id, StudyAttempt.at >= lo, StudyAttempt.at < hi)).scalar_one()
    return max(0, rules().cap.points - int(got))


def _h(*parts) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


@dataclass
class Progress:
    bank: int
    attempted: int
    credited: int
    balance: int
    cap_left: int
    laws: list[str]


def progress(session: Session, actor: Actor, on: date | None = None) -> Progress:
    e = _firm(session, actor)
    on = on or now().date()
    qs = bank_for(e)
    ids = {q.id for q in qs}
    return Progress(len(qs), len(_attempted(session, e.id) & ids), len(set(cases.studied(session, e.id)) & ids),
                    cases.points_balance(session, e.id), cap_left(session, e.id, on),
                    [lawbank.laws()[c].title for c in law_codes(e)])


def draw(session: Session, actor: Actor, *, on: date | None = None, round_no: int = 0) -> list[lawbank.Question]:
    """Questions of the firm's bank, not yet attempted first (practice questions fill up when few
    are left), in an order fixed by the firm, the day and the round."""
    e = _firm(session, actor)
    on = on or now().date()
    done = _attempted(session, e.id)
    qs = sorted(bank_for(e), key=lambda q: _h(e.id, on.isoformat(), round_no, q.id))
    fresh = [q for q in qs if q.id not in done]
    n = rules().quiz_size
    return (fresh + [q for q in qs if q.id in done])[:n]


@dataclass
class Result:
    right: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    earned: dict[str, int] = field(default_factory=dict)
    practice: list[str] = field(default_factory=list)        # already attempted: no points
    over_cap: list[str] = field(default_factory=list)        # right at first attempt, beyond the cap


def submit(session: Session, actor: Actor, answers: dict[str, str], *, at: datetime | None = None) -> Result:
    """Answers keyed by question id (option letter). Unknown questions, questions outside the
    firm's bank and letters that are not an option are refused before anything is recorded."""
    e = _firm(session, actor)
    at = at or now()
    bank = {q.id: q for q in bank_for(e)}
    bad = [k for k in answers if k not in bank]
    if bad:
        raise ValidationFailed(f"题目不在本企业的学法题库中：{'、'.join(bad[:5])}", code="portal.bad_question")
    for qid, given in answers.items():
        if given not in dict(bank[qid].options):
            raise ValidationFailed(f"题目 {qid} 的答案“{str(given)[:4]}”不是选项之一", code="portal.bad_answer")
    # the firm's answer sheets one at a time: what was attempted and the month's cap are read
    # after the lock, so a sheet posted twice at once earns once (core.locks)
    lock_row(session, Enterprise, e.id)
    done = _attempted(session, e.id)
    left = cap_left(session, e.id, at.astimezone(TZ).date())
    res = Result()
    for qid, given in answers.items():
        q = bank[qid]
        ok = given == q.answer
        (res.right if ok else res.wrong).append(qid)
        first = qid not in done
        pts = 0
        if first and ok:
            p = points_of(q)
            if p <= left:
                pts, left = p, left - p
                res.earned[qid] = p
            else:
                first = False                  # beyond the cap: not used up, may earn next month
                res.over_cap.append(qid)
        elif not first:
            res.practice.append(qid)
        session.add(StudyAttempt(enterprise_id=e.id, question=qid, given=given, correct=ok, first=first, points=pts,
                                 by=actor.username, at=at))
        done.add(qid) if first else None
    session.flush()
    if res.earned:
        credited = cases.record_study(session, actor, e.id, res.earned,
                                      f"学法答题首次答对 {len(res.earned)} 题（每题仅计一次）")
        res.earned = credited
    audit.record(session, actor, "portal.study.submit", "enterprise", e.id,
                 {"right": res.right, "wrong": res.wrong, "earned": res.earned, "over_cap": res.over_cap})
    return res
