"""The officers' question bank: the shared law-fact files (rules/training/bank/) turned into
questions by ``core.lawbank`` (the enterprise portal draws its study questions from the same
facts). Forms: ``judge_true``/``judge_false`` (difficulty 1), ``blank`` (2), ``article`` (3);
ids are stable (``<law>-<n>-<form>``) and every question carries its source."""

from __future__ import annotations

from ..core import lawbank
from ..core.errors import NotFound
from ..core.lawbank import BankFile, Fact, Law, Question, generate  # noqa: F401  (the bank's shapes)


def laws() -> dict[str, Law]:
    return lawbank.laws()


def questions(law_codes: list[str] | None = None) -> list[Question]:
    return lawbank.questions(law_codes)


def question(qid: str) -> Question:
    q = lawbank.find(qid)
    if q is None:
        raise NotFound(f"题目 {qid} 不存在", code="training.question_not_found")
    return q


def summary() -> list[dict]:
    out = []
    for code, law in laws().items():
        qs = questions([code])
        out.append({"code": code, "title": law.title, "version": law.version, "url": law.url,
                    "questions": len(qs), "unverified": sum(1 for q in qs if not q.verified),
                    "by_form": {f: sum(1 for q in qs if q.form == f) for f in ("judge_true", "judge_false",
                                                                               "blank", "article")}})
    return out
