"""Competitions: judges of the contestant's unit refused, sheet limits, off-site round scored by
precision/recall of marks against the generator's labels, weighted totals with shared ranks."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.errors import PermissionDenied, ValidationFailed
from greensword.training import competitions as comp
from tests.factories import SYSTEM

from .conftest import officer_actor

pytestmark = pytest.mark.db

ROUNDS = [
    {"kind": "onsite", "name": "现场执法模拟", "weight": 0.5,
     "sheet": [{"code": "a", "item": "取证", "max": 60}, {"code": "b", "item": "定性", "max": 40}]},
    {"kind": "offsite", "name": "非现场筛查", "weight": 0.5},
]


def test_score_marks_precision_recall():
    labels = [{"mn": "M1", "start": "2026-03-01T02:00:00", "end": "2026-03-01T04:00:00"},
              {"mn": "M2", "start": "2026-03-01T10:00:00", "end": "2026-03-01T11:00:00"}]
    hit = {"mn": "M1", "start": "2026-03-01T03:00:00", "end": "2026-03-01T05:00:00"}
    same_time_other_mn = {"mn": "M2", "start": "2026-03-01T03:00:00", "end": "2026-03-01T05:00:00"}
    touching = {"mn": "M2", "start": "2026-03-01T11:00:00", "end": "2026-03-01T12:00:00"}   # ends meet: no overlap
    r = comp.score_marks([hit, same_time_other_mn, touching], labels)
    assert (r["true_marks"], r["found_labels"]) == (1, 1)
    assert r["precision"] == pytest.approx(1 / 3, abs=1e-4) and r["recall"] == 0.5
    assert r["points"] == pytest.approx(100 * 2 * (1 / 3) * 0.5 / (1 / 3 + 0.5), abs=0.01)
    assert comp.score_marks([], labels)["points"] == 0
    perfect = comp.score_marks([hit, {"mn": "M2", "start": "2026-03-01T09:30:00", "end": "2026-03-01T10:01:00"}],
                               labels)
    assert perfect["points"] == 100.0


def test_rank_with_ties_like_evaluation():
    rows = comp.rank_with_ties([{"name": "a", "total": 90.004}, {"name": "b", "total": 90.001},
                                {"name": "c", "total": 95.0}, {"name": "d", "total": 80.0}])
    assert [(r["name"], r["rank"], r["tied"]) for r in rows] == [
        ("c", 1, False), ("a", 2, True), ("b", 2, True), ("d", 4, False)]


@pytest.fixture
def event(db, world):
    c = comp.create(db, SYSTEM, agency_id=world.agencies["330000"].id, title="全省执法技能比武", level="province",
                    held_on=date(2026, 6, 1), rounds=ROUNDS)
    for key in ("330102-0", "330102-1", "330106-0"):
        comp.add_contestant(db, SYSTEM, c.id, world.officers[key].id)
    for key in ("330106-1", "330203-0"):
        comp.add_judge(db, SYSTEM, c.id, world.officers[key].id)
    db.flush()
    return c


def test_weights_must_sum_to_one(db, world):
    with pytest.raises(ValidationFailed):
        comp.create(db, SYSTEM, agency_id=world.agencies["330000"].id, title="x", level="city",
                    held_on=date(2026, 6, 1), rounds=[{**ROUNDS[0], "weight": 0.6}, ROUNDS[1]])


def test_judge_of_own_unit_refused(db, world, event):
    onsite, _ = comp.rounds_of(db, event.id)
    cts = {c.officer_id: c for c in comp.contestants(db, event.id)}
    judge_330106 = officer_actor(world.officers["330106-1"])
    c_330106 = cts[world.officers["330106-0"].id]
    with pytest.raises(PermissionDenied) as e:
        comp.score_sheet(db, judge_330106, onsite.id, c_330106.id, {"a": 50, "b": 30})
    assert e.value.code == "training.judge_same_unit"
    # the same judge may score a contestant of another unit
    c_330102 = cts[world.officers["330102-0"].id]
    s = comp.score_sheet(db, judge_330106, onsite.id, c_330102.id, {"a": 50, "b": 30})
    assert s.points == 80.0
    with pytest.raises(ValidationFailed):
        comp.score_sheet(db, judge_330106, onsite.id, c_330102.id, {"a": 61, "b": 30})
    with pytest.raises(PermissionDenied):      # a contestant is not a judge
        comp.score_sheet(db, officer_actor(world.officers["330102-1"]), onsite.id, c_330102.id, {"a": 1, "b": 1})


def test_offsite_round_and_ranking_with_ties(db, world, event):
    onsite, offsite = comp.rounds_of(db, event.id)
    comp.prepare_offsite(db, SYSTEM, offsite.id, seed=7, start=date(2026, 5, 1), points=3, days=2,
                         counts={"exceedance": 2, "flatline": 1})
    labels = offsite.dataset["labels"]
    # the generator decides how many of the requested violations it can place; the scoring only
    # needs some labels and the data set's MNs
    assert labels and {x["mn"] for x in labels} <= set(offsite.dataset["mns"])
    cts = {c.officer_id: c for c in comp.contestants(db, event.id)}
    a, b, c = (world.officers[k] for k in ("330102-0", "330102-1", "330106-0"))
    j1, j2 = officer_actor(world.officers["330106-1"]), officer_actor(world.officers["330203-0"])
    # a and b get the same on-site marks; c less
    for who, pts in ((a, (50, 30)), (b, (50, 30)), (c, (40, 20))):
        for j in (j1, j2):
            if j.agency_id == who.agency_id:
                continue
            comp.score_sheet(db, j, onsite.id, cts[who.id].id, {"a": pts[0], "b": pts[1]})

    def mark(x, shift=0):
        s = datetime.fromisoformat(x["start"]) + timedelta(hours=shift)
        return {"mn": x["mn"], "start": s.isoformat(), "end": (s + timedelta(minutes=30)).isoformat()}

    # a and b: every label found, no false mark; c: one label and one false alarm far away
    comp.submit_marks(db, officer_actor(a), offsite.id, [mark(x) for x in labels])
    comp.submit_marks(db, officer_actor(b), offsite.id, [mark(x) for x in reversed(labels)])
    with pytest.raises(ValidationFailed):
        comp.submit_marks(db, officer_actor(c), offsite.id, [{"mn": "NOPE", "start": labels[0]["start"],
                                                               "end": labels[0]["end"]}])
    sc = comp.submit_marks(db, officer_actor(c), offsite.id, [mark(labels[0]), mark(labels[0], shift=-400)])
    assert sc.detail["precision"] == 0.5 and sc.detail["recall"] == pytest.approx(1 / len(labels), abs=1e-4)
    res = comp.individual_results(db, event.id)
    rows = {r["officer_id"]: r for r in res["rows"]}
    assert rows[a.id]["total"] == rows[b.id]["total"] == 90.0
    assert rows[a.id]["rank"] == rows[b.id]["rank"] == 1 and rows[a.id]["tied"]
    assert rows[c.id]["rank"] == 3 and not rows[c.id]["tied"]
    teams = comp.team_results(db, event.id)
    assert teams[0]["name"].endswith("上城分局") and teams[0]["total"] == 90.0
    comp.publish(db, SYSTEM, event.id)
    assert comp.results_for_year(db, 2026)[0]["teams"][0]["rank"] == 1
