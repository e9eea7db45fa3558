"""Enterprise portal: the law-study quiz that earns study points (学法积分), credited through the
cases service (which owns the points ledger and the questions in rules/cases/study.yaml: each
question answered correctly earns once per enterprise, ever)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core.auth import Actor


def quiz() -> list[tuple[str, list[str], int]]:
    return [(q.text, q.options, q.answer) for q in cases.quiz().questions]


def points_balance(session: Session, actor: Actor) -> int:
    return cases.points_balance(session, actor.enterprise_id)


def submit_quiz(session: Session, actor: Actor, answers: dict[str, str]) -> bool:
    """Answers keyed ``q0``, ``q1`` … (option index as text). Returns whether every answer was
    right; points are earned per question, once."""
    given = {}
    for i, q in enumerate(cases.quiz().questions):
        v = answers.get(f"q{i}")
        if v not in (None, "") and str(v).isdigit():
            given[q.code] = int(str(v))
    result = cases.answer_quiz(session, actor, given)
    return len(result["right"]) == result["total"]
