"""学法: the bank is drawn per industry from the shared law facts (≥ 200 questions over the laws
an enterprise must know), a question earns once and only when right at the first attempt, the
monthly cap holds, and the points offset a fine only within the cases discretion limits."""

from datetime import datetime

import pytest

from greensword.cases import service as cases
from greensword.core import lawbank
from greensword.core.errors import PermissionDenied, ValidationFailed
from greensword.core.timeutil import TZ
from greensword.portal import study
from tests.conftest import login_as
from tests.factories import actor

pytestmark = pytest.mark.db
AT = datetime(2026, 5, 10, 9, 0, tzinfo=TZ)


def test_bank_per_industry_has_sources_and_enough_questions(db, world):
    key = world.enterprises["330102-key"]              # C2614 chemicals, key air polluter
    small = world.enterprises["330102-small"]          # C1713 textiles, not a key polluter
    assert study.law_codes(key) == ["xzcf", "hbf", "gf", "dq", "sw", "zs", "tr", "hj212", "hj75"]
    assert study.law_codes(small) == ["xzcf", "hbf", "gf", "dq", "sw", "zs", "tr"]
    bank = study.bank_for(small)
    assert len(bank) >= 200 and len(study.bank_for(key)) > len(bank)
    assert all(q.law_title and q.article and q.provision for q in bank)
    assert not {q.law for q in bank} & {"ling30", "hj212"}          # officers' procedure, monitoring standard
    # the officers' bank is generated from the same facts (one generator, core.lawbank)
    from greensword.training import bank as officer_bank

    assert officer_bank.question("xzcf-008-bl") == lawbank.find("xzcf-008-bl")


def test_first_attempt_decides_points_once_and_the_cap(db, world):
    firm = actor(db, world, "ent-330102-small")
    qs = study.draw(db, firm, on=AT.date())
    assert len(qs) == study.rules().quiz_size
    wrong = next(x for x, _ in qs[0].options if x != qs[0].answer)
    res = study.submit(db, firm, {qs[0].id: wrong, qs[1].id: qs[1].answer}, at=AT)
    assert res.wrong == [qs[0].id] and res.earned == {qs[1].id: study.points_of(qs[1])}
    # the wrong one answered right now, and the right one again: neither earns
    res = study.submit(db, firm, {qs[0].id: qs[0].answer, qs[1].id: qs[1].answer}, at=AT)
    assert res.earned == {} and sorted(res.practice) == sorted([qs[0].id, qs[1].id])
    assert cases.points_balance(db, firm.enterprise_id) == study.points_of(qs[1])
    # answered questions leave the next draw while fresh ones remain
    assert not {qs[0].id, qs[1].id} & {q.id for q in study.draw(db, firm, on=AT.date())}
    # the monthly cap: answer everything right until it is reached
    cap = study.rules().cap.points
    bank = [q for q in study.bank_for(db.get(type(world.enterprises["330102-small"]), firm.enterprise_id))
            if q.id not in (qs[0].id, qs[1].id)]
    res = study.submit(db, firm, {q.id: q.answer for q in bank[:40]}, at=AT)
    assert cases.points_balance(db, firm.enterprise_id) <= cap
    assert res.over_cap and study.cap_left(db, firm.enterprise_id, AT.date()) < max(study.rules().points.values())
    # over the cap the question was not used up: next month it earns
    nxt = datetime(2026, 6, 2, 9, 0, tzinfo=TZ)
    q = next(b for b in bank if b.id == res.over_cap[0])
    res2 = study.submit(db, firm, {q.id: q.answer}, at=nxt)
    assert res2.earned == {q.id: study.points_of(q)}


def test_bad_input_and_other_firms(db, world):
    firm = actor(db, world, "ent-330102-small")
    with pytest.raises(ValidationFailed, match="不在本企业的学法题库"):
        study.submit(db, firm, {"ling30-001-jt": "A"})             # an officers' question
    q = study.draw(db, firm)[0]
    with pytest.raises(ValidationFailed, match="不是选项之一"):
        study.submit(db, firm, {q.id: "Z"})
    with pytest.raises(PermissionDenied):
        study.submit(db, actor(db, world, "officer-330102"), {q.id: q.answer})
    with pytest.raises(PermissionDenied):
        cases.record_study(db, firm, world.enterprises["330102-key"].id, {q.id: 2}, "x")


def test_study_page_shows_sources_and_points(client, db, world):
    login_as(client, "ent-330102-small")
    r = client.get("/portal/study")
    assert "学法积分" in r.text and "本月还可获得" in r.text
    firm = actor(db, world, "ent-330102-small")
    qs = study.draw(db, firm)
    r = client.post("/portal/study", data={f"q-{q.id}": q.answer for q in qs[:3]})
    assert "全部答对" in r.text and "依据：《" in r.text
    earned = sum(study.points_of(q) for q in qs[:3])
    assert f'<b id="earned">{earned}</b>' in r.text and f'<b id="balance">{earned}</b>' in r.text
    r = client.post("/portal/study", data={"q-nope-1": "A"})
    assert r.status_code == 422 and "不在本企业的学法题库" in r.text
    home = client.get("/portal").text                         # the home page's panel
    assert "信用记录与正面清单" in home and "已纳入" in home and f"题库已作答 3/{len(study.bank_for(world.enterprises['330102-small']))}" in home
