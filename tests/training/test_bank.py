"""The question bank is generated from the law-fact files: ≥ 300 questions, every one well formed,
answers pointing at the fact's value, stable ids."""

import re

from greensword.core import lawbank
from greensword.training import bank


def test_bank_size_and_spread():
    qs = bank.questions()
    assert len(qs) >= 300
    laws = {q.law for q in qs}
    assert {"xzcf", "hbf", "dq", "sw", "gf", "tr", "zs", "hj212", "hj75", "ling30"} <= laws
    assert {q.form for q in qs} == {"judge_true", "judge_false", "blank", "article"}
    assert len({q.id for q in qs}) == len(qs)


def test_every_question_is_well_formed():
    for q in bank.questions():
        letters = [o[0] for o in q.options]
        texts = [o[1] for o in q.options]
        assert q.answer in letters, q.id
        assert len(set(texts)) == len(texts), q.id
        assert q.article and q.law_title, q.id
        assert "{" not in q.stem and "}" not in q.stem, q.id
        if q.form == "blank":
            assert "______" in q.stem and len(q.options) == 4
            # the right option is the value the provision states
            assert q.option(q.answer) in q.provision, q.id
            for wrong in (t for letter, t in q.options if letter != q.answer):
                assert q.provision.replace(q.option(q.answer), wrong, 1) != q.provision
        if q.form == "article":
            assert q.option(q.answer) == re.match(r"第[^条]+条", q.article).group(0), q.id
        if q.form == "judge_false":
            assert q.answer == "B" and q.stem.rstrip("。").split("，", 1)[1] != q.provision


def test_known_fact_is_answered_by_its_value():
    q = bank.question("xzcf-008-bl")          # 第三十六条：二年
    assert q.option(q.answer) == "二年"
    assert q.article.startswith("第三十六条") and q.verified
    assert bank.question("xzcf-008-jf").stem.count("一年") == 1


def test_generation_is_stable():
    a = [q.as_dict() for q in bank.questions()]
    lawbank._bank.cache_clear()             # regenerated from the fact files (core.lawbank)
    assert a == [q.as_dict() for q in bank.questions()]


def test_duplicate_option_is_refused():
    import pytest

    from greensword.core.errors import ValidationFailed

    bad = bank.BankFile(law=bank.Law(code="x", title="X法", short="X法"),
                        facts=[bank.Fact(article="第一条", text="期限为{二年}", wrong=["二年", "三年"])])
    with pytest.raises(ValidationFailed):
        bank.generate(bad)
