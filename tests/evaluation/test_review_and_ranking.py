from datetime import date, timedelta

import pytest
from sqlalchemy import select

from greensword.cases import service as cases
from greensword.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from greensword.evaluation import service as ev
from greensword.review import service as review
from greensword.review.models import ReviewFile
from tests.factories import actor, signature_png

pytestmark = pytest.mark.db


def _closed_cases(db, world, county_code, n, year=2026):
    who = {r: actor(db, world, f"{r}-{county_code}") for r in ("officer", "leader", "reviewer")}
    out = []
    for i in range(n):
        d = date(year, 3, 2) + timedelta(days=3 * i)
        ent = world.enterprises[f"{county_code}-key"]
        offs = [world.officers[f"{county_code}-0"].id, world.officers[f"{county_code}-1"].id]
        c = cases.open_case(db, who["officer"], enterprise_id=ent.id, title="t", facts="f", source="inspection",
                            discovered_on=d, officer_ids=offs, violation_code="AIR-100-3")
        cases.add_evidence_document(db, who["officer"], c, "证据", f"{county_code}{i}".encode())
        for action, who_, off in (("file", "leader", 1), ("investigate", "officer", 2)):
            cases.act(db, who[who_], c.id, action, on=d + timedelta(days=off), documents_on=False)
        cases.apply_discretion(db, who["officer"], c, answers={"kind": "未联网/数据缺失<=72h", "duration": "<=1个月"})
        for action, who_, off, data in (("submit_review", "officer", 3, {}), ("approve_review", "reviewer", 4, {}),
                                        ("notify", "officer", 5, {}), ("decide", "leader", 15, {}),
                                        ("serve", "officer", 16, {}), ("record_payment", "officer", 17,
                                                                        {"amount": 74_000}),
                                        ("close", "leader", 18, {})):
            cases.act(db, who[who_], c.id, action, on=d + timedelta(days=off), data=data, documents_on=False)
        out.append(c)
    return out


def test_review_round_draw_score_appeal_publish(db, world):
    _closed_cases(db, world, "330102", 6)
    _closed_cases(db, world, "330203", 3)
    prov = world.agencies["330000"]
    admin = actor(db, world, "admin-330000")
    rnd = review.create_round(db, admin, agency_id=prov.id, name="2026年案卷评查", start=date(2026, 1, 1),
                              end=date(2026, 12, 31), seed="评查摇号 2026-0601")
    assert review.verify_round(db, rnd)
    files = db.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id)).scalars().all()
    by_unit = {}
    for f in files:
        by_unit[f.unit_id] = by_unit.get(f.unit_id, 0) + 1
    assert by_unit == {world.agencies["330102"].id: 2, world.agencies["330203"].id: 2}   # min 2 per unit
    for f in files:                                      # never a reviewer from the reviewed unit
        assert not f.reviewer.endswith(db.get(type(world.agencies["330102"]), f.unit_id).division_code)
    f = files[0]
    reviewer = actor(db, world, f.reviewer)
    with pytest.raises(PermissionDenied):
        review.score_file(db, actor(db, world, "reviewer-330106") if f.reviewer != "reviewer-330106"
                          else actor(db, world, "reviewer-330000"), f.id, deductions={}, vetoes=[])
    with pytest.raises(ValidationFailed):
        review.score_file(db, reviewer, f.id, deductions={"record": 99}, vetoes=[])
    review.score_file(db, reviewer, f.id, deductions={"record": 5, "remedy": 2}, vetoes=[], on=date(2026, 7, 1),
                      reasons={"record": "笔录缺当事人签名", "remedy": "未告知救济途径"})
    assert f.score == 93.0
    g = files[1]
    review.score_file(db, actor(db, world, g.reviewer), g.id, deductions={}, vetoes=["notice"], on=date(2026, 7, 1))
    assert g.score == 0.0                                 # a veto item fails the file
    with pytest.raises(Conflict, match="未评分"):
        review.publish(db, admin, rnd)                    # files still unscored
    unit = db.get(type(world.agencies["330102"]), f.unit_id)
    unit_leader = actor(db, world, f"leader-{unit.division_code}")
    with pytest.raises(IllegalTransition, match="期限"):
        review.appeal(db, unit_leader, f.id, "笔录已签名", on=date(2026, 8, 1))
    review.appeal(db, unit_leader, f.id, "现场检查笔录已由当事人签名，见卷宗第12页", on=date(2026, 7, 8))
    assert f.status == "appealed" and f.second_reviewer != f.reviewer
    with pytest.raises(IllegalTransition):
        review.score_file(db, reviewer, f.id, deductions={}, vetoes=[])      # first reviewer can no longer change it
    with pytest.raises(PermissionDenied):
        review.decide_appeal(db, reviewer, f.id, deductions={}, vetoes=[])
    review.decide_appeal(db, actor(db, world, f.second_reviewer), f.id, deductions={"remedy": 2}, vetoes=[],
                        reasons={"remedy": "未告知救济途径"})
    assert (f.score, f.final_score) == (93.0, 98.0)
    for h in files[2:]:
        review.score_file(db, actor(db, world, h.reviewer), h.id, deductions={"archive": 1}, vetoes=[],
                          reasons={"archive": "卷内目录缺页码"})
    review.publish(db, admin, rnd)
    res = {r["division_code"]: r for r in review.unit_results(db, rnd)}
    assert res[unit.division_code]["files"] == 2


def test_evaluation_ties_selection_progress_and_notice(db, world):
    _closed_cases(db, world, "330102", 3)
    evaluator = actor(db, world, "evaluator-330000")
    for code in ("330102", "330106", "330203"):
        a = world.agencies[code]
        for ind, v in (("organisation", 9), ("team", 8), ("training", 7), ("special", 6)):
            ev.enter(db, evaluator, year=2026, agency_id=a.id, indicator=ind, value=v, evidence="活动方案、简报")
    with pytest.raises(ValidationFailed):
        ev.enter(db, evaluator, year=2026, agency_id=world.agencies["330102"].id, indicator="cases_filed",
                 value=3, evidence="x")
    with pytest.raises(ValidationFailed):
        ev.enter(db, evaluator, year=2026, agency_id=world.agencies["330102"].id, indicator="team", value=30,
                 evidence="x")
    cards = ev.evaluate(db, year=2026, level="county")
    by = {c.division_code: c for c in cards}
    assert by["330102"].rank == 1
    assert by["330106"].total == by["330203"].total and by["330106"].rank == by["330203"].rank == 2
    assert by["330106"].tied and ev.rank_label(by["330203"]) == "第2名（并列）"
    # every point is explained
    assert round(sum(line["score"] for line in by["330102"].lines), 2) == by["330102"].total
    assert all(line["how"] for line in by["330102"].lines)
    text = __import__("docx").Document(__import__("io").BytesIO(
        ev.notice_docx(db, year=2026, level="county", issuer="浙江省生态环境厅"))).paragraphs
    joined = "\n".join(p.text for p in text)
    assert "表现突出集体" in joined and "浙江省生态环境厅" in joined


def test_progress_collective_is_the_largest_improvement(db, world):
    evaluator = actor(db, world, "evaluator-330000")
    for year, values in ((2025, {"330102": 9, "330106": 2, "330203": 5}), (2026, {"330102": 9, "330106": 8,
                                                                                   "330203": 6})):
        for code, v in values.items():
            ev.enter(db, evaluator, year=year, agency_id=world.agencies[code].id, indicator="organisation",
                     value=v, evidence="材料")
    cards = {c.division_code: c for c in ev.evaluate(db, year=2026, level="county")}
    assert cards["330106"].improvement > cards["330203"].improvement > 0
    # nobody reaches the outstanding threshold of 60 here, so the progress quota (3) takes both
    assert cards["330106"].progress and cards["330203"].progress and not cards["330102"].progress


def test_individuals_ranked_by_cases_and_inspections(db, world):
    _closed_cases(db, world, "330102", 2)
    people = ev.individuals(db, year=2026, agency=world.agencies["330000"])
    top = [p for p in people if p["rank"] == 1]
    assert {p["officer_id"] for p in top} == {world.officers["330102-0"].id, world.officers["330102-1"].id}
    assert all(p["tied"] for p in top) and top[0]["total"] == 50.0     # cases: full 50 points, no inspections


def test_half_year_assessment_uses_the_same_machinery(db, world):
    _closed_cases(db, world, "330102", 2)         # decided in March 2026
    h1 = {c.division_code: c for c in ev.evaluate(db, year=2026, level="county", start=date(2026, 1, 1),
                                                  end=date(2026, 6, 30))}
    h2 = {c.division_code: c for c in ev.evaluate(db, year=2026, level="county", start=date(2026, 7, 1),
                                                  end=date(2026, 12, 31))}
    assert h1["330102"].total > h2["330102"].total


def test_statistics_by_special_action_tag(db, world):
    from greensword.evaluation import statistics

    cs = _closed_cases(db, world, "330102", 3)
    for c in cs[:2]:
        c.tags = ["清水蓝天"]
    db.flush()
    f = statistics.Filters(date(2026, 1, 1), date(2026, 12, 31), tag="清水蓝天")
    rep = statistics.report(db, world.agencies["330000"], f)["unit"]
    assert rep["cases_filed"] == 2 and rep["decisions"] == 2 and rep["fines_yuan"] == 148_000


def test_an_outstanding_unit_can_also_be_a_progress_collective(db, world):
    """Seed 003: 广西、上海、重庆、内蒙古 are both 表现突出 and 突出进步 in the 2024-02-06 表扬函."""
    _closed_cases(db, world, "330102", 2)
    evaluator = actor(db, world, "evaluator-330000")
    county = world.agencies["330102"].id
    ev.enter(db, evaluator, year=2025, agency_id=county, indicator="organisation", value=2, evidence="材料")
    for ind, v in (("organisation", 10), ("team", 10), ("training", 10), ("special", 10), ("air_quality", 3)):
        ev.enter(db, evaluator, year=2026, agency_id=county, indicator=ind, value=v, evidence="材料")
    cards = {c.division_code: c for c in ev.evaluate(db, year=2026, level="county")}
    top = cards["330102"]
    assert top.total >= 60 and top.outstanding
    assert top.improvement > 0 and top.progress


def test_individuals_count_only_the_years_inspections(db, world):
    from datetime import datetime

    from greensword.core.timeutil import TZ
    from greensword.inspection import service as inspection
    from greensword.inspection.models import Record, Task

    county = world.agencies["330102"]
    lead, off = actor(db, world, "leader-330102"), actor(db, world, "officer-330102")
    plan = inspection.create_plan(db, lead, agency_id=county.id, name="p", period_start=date(2025, 10, 1),
                                  period_end=date(2025, 12, 31), teams=1)
    inspection.draw(db, lead, plan.id, "individuals year seed")
    task = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()
    items = [i.code for i in inspection.checklist_for(task.enterprise.industry_code).items]
    inspection.save_record(db, off, task, checklist={c: "ok" for c in items}, violation=False, findings="无")
    for role, name in (("officer", "甲"), ("officer", "乙"), ("enterprise", "丙")):
        inspection.sign(db, off, task, role=role, name=name, png=signature_png())
    inspection.submit(db, off, task)
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    rec.checked_at = datetime(2025, 11, 20, 10, tzinfo=TZ)
    db.flush()
    inspectors = set(task.officer_ids)
    for year, want in ((2025, 1), (2026, 0)):
        people = {p["officer_id"]: p for p in ev.individuals(db, year=year, agency=world.agencies["330000"])}
        done = {i: next(x["value"] for x in people[i]["lines"] if x["code"] == "inspections_done") for i in inspectors}
        assert set(done.values()) == {want}, (year, done)


def test_case_file_review_draws_city_and_provincial_files(db, world):
    county_cases = _closed_cases(db, world, "330102", 2)
    city_cases = _closed_cases(db, world, "330106", 2)
    city = world.agencies["330100"]
    for c in city_cases:                       # decided by the city bureau itself
        c.agency_id = city.id
    db.flush()
    rnd = review.create_round(db, actor(db, world, "admin-330000"), agency_id=world.agencies["330000"].id,
                              name="2026年案卷评查", start=date(2026, 1, 1), end=date(2026, 12, 31), seed="s")
    units = {f.unit_id for f in db.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id)).scalars()}
    assert units == {world.agencies["330102"].id, city.id}
    assert len(county_cases) == 2


def test_special_action_tag_matches_whole_tags_only(db, world):
    """The tag filter is matched by the database: a case counts when one of its tags is exactly the
    tag — not a tag that merely contains it, not one of its characters, and quotes or LIKE
    wildcards in a tag are plain text."""
    from greensword.cases import queries

    cs = _closed_cases(db, world, "330102", 5)
    cs[0].tags = ["清水蓝天"]
    cs[1].tags = ["历史导入", "清水蓝天"]
    cs[2].tags = ["清水蓝天行动"]
    cs[3].tags = []
    cs[4].tags = ['a"b%_']
    db.flush()
    year = (date(2026, 1, 1), date(2026, 12, 31))
    a = world.agencies["330102"].id

    def filed(tag):
        return queries.county_sums(db, *year, tag=tag).get(a, {}).get("cases_filed", 0)

    assert filed("清水蓝天") == 2
    assert filed("清水蓝天行动") == 1
    assert filed("清水") == 0 and filed("蓝") == 0
    assert filed('a"b%_') == 1 and filed("%") == 0 and filed("a_b%_") == 0
    assert queries.county_sums(db, *year, tag="历史导入", violation_code="AIR-100-3")[a]["decisions"] == 1
