"""Question banks generated from law-fact data files (rules/training/bank/: the statutes and
standards an officer or an enterprise must know). Shared below the domains: training draws the
officers' exams from it, the enterprise portal its study (学法) questions.

Each file holds one law or standard (title, version, url) and its facts: an article and the
provision's text, in which ``{…}`` marks the value a question can ask for (a period, an amount,
a count, a word), with wrong values to offer beside it. From one fact the generator makes:

* ``judge_true``  (difficulty 1) the provision as written — 正确;
* ``judge_false`` (difficulty 1) the provision with the first wrong value — 错误;
* ``blank``       (difficulty 2) the provision with the value blanked, four options;
* ``article``     (difficulty 3) which article says this, four article numbers of the same law.

A fact without a marked value gives ``judge_true`` and ``article`` only. Ids are stable
(``<law>-<n>-<form>``), options are ordered deterministically, and every question carries the
fact's source (law, article, url, verified). Facts not checked against the published text carry
``verified: false`` and the questions say so.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from .errors import ValidationFailed
from .rules import load, register

VALUE = re.compile(r"\{([^{}]+)\}")
LETTERS = "ABCD"


class Law(BaseModel):
    code: str
    title: str
    short: str
    version: str = ""
    url: str = ""
    #: standards cite sections whose numbers were not checked: no "which article" questions
    article_questions: bool = True


class Fact(BaseModel):
    article: str
    text: str
    wrong: list[str] = []
    verified: bool = False
    note: str = ""


class BankFile(BaseModel):
    law: Law
    facts: list[Fact]


@dataclass(frozen=True)
class Question:
    id: str
    law: str
    law_title: str
    form: str
    difficulty: int
    stem: str
    options: tuple[tuple[str, str], ...]
    answer: str
    article: str
    provision: str
    url: str = ""
    verified: bool = False

    def option(self, letter: str) -> str:
        return dict(self.options).get(letter, "")

    def as_dict(self) -> dict:
        return {"id": self.id, "law": self.law, "law_title": self.law_title, "form": self.form,
                "difficulty": self.difficulty, "stem": self.stem, "options": [list(o) for o in self.options],
                "answer": self.answer, "article": self.article, "provision": self.provision, "url": self.url,
                "verified": self.verified}


def _h(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:8], "big")


def _plain(text: str) -> str:
    return VALUE.sub(lambda m: m.group(1), text)


def _options(qid: str, right: str, wrong: list[str]) -> tuple[tuple[tuple[str, str], ...], str]:
    """Four options (or two for 判断), ordered by a hash of the question id: the same every time."""
    choices = [right] + list(wrong)[:3]
    if len(set(choices)) != len(choices):
        raise ValidationFailed(f"题目 {qid} 的选项重复：{choices}", code="lawbank.duplicate_option")
    choices.sort(key=lambda c: _h(qid, c))
    opts = tuple((LETTERS[i], c) for i, c in enumerate(choices))
    return opts, LETTERS[choices.index(right)]


def _article_no(article: str) -> str:
    """'第三十六条第一款' → '第三十六条' (the number an article question asks for)."""
    m = re.match(r"(第[零一二三四五六七八九十百千〇\d]+条)", article)
    return m.group(1) if m else article


def generate(bank: BankFile) -> list[Question]:
    law = bank.law
    out: list[Question] = []
    articles = []
    for f in bank.facts:
        a = _article_no(f.article)
        if a not in articles:
            articles.append(a)
    for n, f in enumerate(bank.facts, 1):
        base = f"{law.code}-{n:03d}"
        plain = _plain(f.text)
        src = dict(law=law.code, law_title=law.title, article=f.article, provision=plain, url=law.url,
                   verified=f.verified)
        vals = VALUE.findall(f.text)
        out.append(Question(id=f"{base}-jt", form="judge_true", difficulty=1,
                            stem=f"判断：根据《{law.short}》，{plain}。", options=(("A", "正确"), ("B", "错误")),
                            answer="A", **src))
        if vals and f.wrong:
            wrong0 = f.wrong[0]
            false_text = VALUE.sub(lambda _m, w=wrong0: w, f.text, count=1)
            false_text = _plain(false_text)
            out.append(Question(id=f"{base}-jf", form="judge_false", difficulty=1,
                                stem=f"判断：根据《{law.short}》，{false_text}。", options=(("A", "正确"), ("B", "错误")),
                                answer="B", **src))
            blank = _plain(VALUE.sub("______", f.text, count=1))
            opts, ans = _options(f"{base}-bl", vals[0], f.wrong)
            out.append(Question(id=f"{base}-bl", form="blank", difficulty=2,
                                stem=f"根据《{law.short}》，{blank}。横线处应填：", options=opts, answer=ans, **src))
        mine = _article_no(f.article)
        others = [a for a in articles if a != mine]
        if law.article_questions and len(others) >= 3:
            others.sort(key=lambda a: _h(base, "art", a))
            opts, ans = _options(f"{base}-ar", mine, others[:3])
            out.append(Question(id=f"{base}-ar", form="article", difficulty=3,
                                stem=f"“{plain}”是《{law.short}》哪一条的规定？", options=opts, answer=ans, **src))
    return out


FACTS = "training/bank"          # the shared fact files (rules/training/bank/*.yaml)


@lru_cache(maxsize=8)
def _bank(folder: str = FACTS) -> tuple[dict[str, Law], dict[str, Question]]:
    """Every fact file in ``rules/<folder>/`` (sorted by name) and the questions made from them."""
    laws: dict[str, Law] = {}
    qs: dict[str, Question] = {}
    root = Path(str(resources.files("greensword") / "rules" / folder))
    for path in sorted(root.glob("*.yaml")):
        bank = load(f"{folder}/{path.name}", BankFile)
        if bank.law.code in laws:
            raise ValidationFailed(f"题库法规代码 {bank.law.code} 重复", code="lawbank.duplicate_law")
        laws[bank.law.code] = bank.law
        for q in generate(bank):
            if q.id in qs:
                raise ValidationFailed(f"题目编号 {q.id} 重复", code="lawbank.duplicate_id")
            qs[q.id] = q
    return laws, qs


def laws(folder: str = FACTS) -> dict[str, Law]:
    return _bank(folder)[0]


def questions(law_codes: list[str] | None = None, folder: str = FACTS) -> list[Question]:
    qs = list(_bank(folder)[1].values())
    if law_codes:
        qs = [q for q in qs if q.law in law_codes]
    return qs


def find(qid: str, folder: str = FACTS) -> Question | None:
    return _bank(folder)[1].get(qid)


register("training/bank/*.yaml", BankFile, source_key="law")  # each file is one law's facts
