"""Two organisers, judges or contestants on the same competition at once: an officer is entered
once (and never as contestant and judge both), a judge's sheet is kept once, marks are handed in
once, and nothing is scored into a competition while its results are published (core.locks)."""

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from greensword.core import audit
from greensword.core.errors import DomainError
from greensword.core.models import AuditEntry
from greensword.training import competitions as comp
from greensword.training.models import Contestant, Judge, Score
from tests.factories import SYSTEM
from tests.races import audit_count, chain_holds, race, row_count

from .conftest import officer_actor
from .test_competitions import ROUNDS

pytestmark = pytest.mark.db


@pytest.fixture
def event(db, world):
    c = comp.create(db, SYSTEM, agency_id=world.agencies["330000"].id, title="全省执法技能比武", level="province",
                    held_on=date(2026, 6, 1), rounds=ROUNDS)
    db.commit()
    return c


@pytest.fixture
def entered(db, world, event):
    """Three contestants, two judges, the off-site data set prepared."""
    for key in ("330102-0", "330102-1", "330106-0"):
        comp.add_contestant(db, SYSTEM, event.id, world.officers[key].id)
    for key in ("330106-1", "330203-0"):
        comp.add_judge(db, SYSTEM, event.id, world.officers[key].id)
    _, offsite = comp.rounds_of(db, event.id)
    comp.prepare_offsite(db, SYSTEM, offsite.id, seed=7, start=date(2026, 5, 1), points=3, days=2,
                         counts={"exceedance": 2, "flatline": 1})
    db.commit()
    return event


def _marks(labels, shift_h=0):
    out = []
    for x in labels:
        s = datetime.fromisoformat(x["start"]) + timedelta(hours=shift_h)
        out.append({"mn": x["mn"], "start": s.isoformat(), "end": (s + timedelta(minutes=30)).isoformat()})
    return out


def test_one_officer_entered_twice_at_once_is_entered_once(db, world, engine, monkeypatch, event):
    officer = world.officers["330102-0"].id

    def enter(s):
        return comp.add_contestant(s, SYSTEM, event.id, officer).id

    won, lost = race(engine, monkeypatch, enter, enter).one_wins()
    assert "该选手已报名" in lost.message
    assert row_count(db, Contestant, competition_id=event.id) == 1
    assert audit_count(db, "training_contestant", won, "training.competition.enter") == 1
    chain_holds(db)


def test_one_officer_made_contestant_and_judge_at_once_is_only_one(db, world, engine, monkeypatch, event):
    officer = world.officers["330102-0"].id

    def contestant(s):
        return ("contestant", comp.add_contestant(s, SYSTEM, event.id, officer).id)

    def judge(s):
        return ("judge", comp.add_judge(s, SYSTEM, event.id, officer).id)

    (role, _), lost = race(engine, monkeypatch, contestant, judge).one_wins()
    assert ("选手不能担任评委" if role == "contestant" else "评委不能同时作为选手") in lost.message
    assert row_count(db, Contestant, competition_id=event.id) + row_count(db, Judge, competition_id=event.id) == 1
    chain_holds(db)


def test_two_sheets_of_one_judge_at_once_keep_one(db, world, engine, monkeypatch, entered):
    """A judge who corrects a sheet while the first is still being saved: both are accepted (a
    sheet replaces the judge's earlier one), and one sheet — the later — counts."""
    onsite, _ = comp.rounds_of(db, entered.id)
    ct = next(c for c in comp.contestants(db, entered.id) if c.officer_id == world.officers["330102-0"].id)
    judge = officer_actor(world.officers["330106-1"])

    def sheet(a, b):
        return lambda s: comp.score_sheet(s, judge, onsite.id, ct.id, {"a": a, "b": b}).points

    out = race(engine, monkeypatch, sheet(50, 30), sheet(60, 40))
    assert sorted(out.results) == [80.0, 100.0], out.results
    db.expire_all()
    kept = db.execute(select(Score).where(Score.round_id == onsite.id, Score.contestant_id == ct.id)).scalars().all()
    assert len(kept) == 1 and kept[0].points in (80.0, 100.0)
    assert db.execute(select(func.count()).select_from(AuditEntry)
                      .where(AuditEntry.action == "training.competition.score")).scalar_one() == 2   # both recorded
    chain_holds(db)


def test_marks_handed_in_twice_at_once_are_scored_once(db, world, engine, monkeypatch, entered):
    _, offsite = comp.rounds_of(db, entered.id)
    who = officer_actor(world.officers["330102-0"])
    labels = offsite.dataset["labels"]

    def hand_in(marks):
        return lambda s: comp.submit_marks(s, who, offsite.id, marks).points

    _, lost = race(engine, monkeypatch, hand_in(_marks(labels)), hand_in(_marks(labels, shift_h=-400))).one_wins()
    assert "已提交过标记" in lost.message
    assert row_count(db, Score, round_id=offsite.id) == 1
    chain_holds(db)


def test_a_sheet_entered_while_results_are_published_is_in_them_or_refused(db, world, engine, monkeypatch,
                                                                           entered):
    """Publishing freezes the results: a judge's correction saved at that instant is either in the
    published totals or refused with 已发布 — never stored after the publication, off the record."""
    onsite, offsite = comp.rounds_of(db, entered.id)
    cts = comp.contestants(db, entered.id)
    j1, j2 = officer_actor(world.officers["330106-1"]), officer_actor(world.officers["330203-0"])
    for ct in cts:
        for j in (j1, j2):
            if j.agency_id != ct.agency_id:
                comp.score_sheet(db, j, onsite.id, ct.id, {"a": 40, "b": 20})          # 60 points
        comp.submit_marks(db, officer_actor(ct.officer), offsite.id, _marks(offsite.dataset["labels"]))
    db.commit()
    target = next(ct for ct in cts if ct.officer_id == world.officers["330102-0"].id)

    def publish(s):
        return comp.publish(s, SYSTEM, entered.id).status

    def correct(s):
        return comp.score_sheet(s, j1, onsite.id, target.id, {"a": 60, "b": 40}).points    # 100 points

    out = race(engine, monkeypatch, publish, correct)
    for r in out.results:
        if isinstance(r, BaseException) and not isinstance(r, DomainError):
            raise r
    published, corrected = out.results
    assert published == "published", out.results
    if isinstance(corrected, BaseException):
        assert "比武成绩已发布" in corrected.message and corrected.status == 409
    db.expire_all()
    # the results stored now are those the publication recorded (its audit entry's digest)
    rows = comp.individual_results(db, entered.id)["rows"]
    now = {"results": json.loads(json.dumps([{k: r[k] for k in ("officer_id", "total", "rank", "tied")}
                                             for r in rows]))}
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "training.competition.publish")).scalar_one()
    assert entry.state_digest == audit.digest(now), rows
    sheets = db.execute(select(Score.points).where(Score.round_id == onsite.id, Score.contestant_id == target.id)
                        ).scalars().all()
    assert sorted(sheets) == ([60.0, 60.0] if isinstance(corrected, BaseException) else [60.0, 100.0])
    assert audit_count(db, "training_competition", entered.id, "training.competition.publish") == 1
    chain_holds(db)
