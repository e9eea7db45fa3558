"""The figures' faster paths (one conditional-sum pass over the cases, inspection figures summed in
SQL, the dashboard's months from one grouped query, review quality rolled up by ancestor) give
exactly the numbers of the straightforward definitions they replaced, on the small demo."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import and_, func, or_, select

from greensword.cases import queries as cases_queries
from greensword.cases.models import Case, Measure
from greensword.core.timeutil import TZ
from greensword.demo.cli import run_demo
from greensword.evaluation import service, statistics
from greensword.inspection import queries as inspection_queries
from greensword.inspection import service as inspection_service
from greensword.inspection.models import Record, Task
from greensword.registry.models import Agency
from greensword.review.service import quality_by_unit

TODAY = date(2026, 11, 1)


def _reference_case_sums(session, start, end, measures):
    """The per-figure queries ``cases.queries.county_sums`` used to run (one per figure)."""
    sums = defaultdict(lambda: defaultdict(float))

    def add(rows, key):
        for agency_id, n in rows:
            sums[agency_id][key] += float(n or 0)

    between = lambda col: and_(col >= start, col <= end)  # noqa: E731
    q = lambda *c: select(Case.agency_id, *c)  # noqa: E731
    add(session.execute(q(func.count()).where(between(Case.filed_on)).group_by(Case.agency_id)), "cases_filed")
    add(session.execute(q(func.count()).where(between(Case.decided_on), Case.outcome.in_(("penalty", "revoked")))
                        .group_by(Case.agency_id)), "decisions")
    add(session.execute(q(func.sum(Case.fine)).where(between(Case.decided_on), Case.outcome == "penalty")
                        .group_by(Case.agency_id)), "fines_yuan")
    add(session.execute(q(func.count()).where(between(Case.decided_on), Case.outcome == "non_penalty")
                        .group_by(Case.agency_id)), "non_penalty")
    add(session.execute(q(func.count()).where(between(Case.closed_on), Case.outcome == "withdrawn")
                        .group_by(Case.agency_id)), "withdrawn")
    add(session.execute(q(func.count()).where(between(Case.filed_on), or_(Case.source == "lead",
                                                                           Case.lead_id.is_not(None)))
                        .group_by(Case.agency_id)), "lead_cases")
    add(session.execute(q(func.count()).where(between(Case.decided_on), Case.offset_yuan > 0)
                        .group_by(Case.agency_id)), "offset_cases")
    add(session.execute(q(func.sum(Case.offset_yuan)).where(between(Case.decided_on)).group_by(Case.agency_id)),
        "offset_yuan")
    for kind in measures:
        add(session.execute(q(func.count(func.distinct(Measure.case_id))).join(Measure, Measure.case_id == Case.id)
                            .where(Measure.kind == kind, between(Measure.started_on)).group_by(Case.agency_id)), kind)
    add(session.execute(q(func.count(func.distinct(Measure.case_id))).join(Measure, Measure.case_id == Case.id)
                        .where(between(Measure.started_on)).group_by(Case.agency_id)), "supporting_measures")
    return sums


def _reference_inspection_sums(session, start, end, hours):
    """The row-by-row loop ``inspection.queries.county_sums`` used (records of the period in Python)."""
    sums = defaultdict(lambda: defaultdict(float))
    lo, hi = datetime.combine(start, time(0), TZ), datetime.combine(end + timedelta(days=1), time(0), TZ)
    covered = defaultdict(set)
    for agency_id, checked, submitted, violation, ent, source in session.execute(
            select(Task.agency_id, Record.checked_at, Record.submitted_at, Record.violation, Task.enterprise_id,
                   Task.source).join(Record, Record.task_id == Task.id)
            .where(Record.status == "submitted", Record.checked_at >= lo, Record.checked_at < hi)):
        s = sums[agency_id]
        s["inspections"] += 1
        s["findings"] += 1 if violation else 0
        if checked and submitted and (submitted - checked) <= timedelta(hours=hours):
            s["uploads_on_time"] += 1
        if source == "routine":
            covered[agency_id].add(ent)
    for agency_id, ents in covered.items():
        sums[agency_id]["covered"] += len(ents)
    return sums


def _nonzero(sums, keys):
    return {(a, k): v for a, d in sums.items() for k, v in d.items() if v and k in keys}


@pytest.fixture(params=["small", "national"])
def demo(db, request):
    """The small province demo (built through the services) and the national set at a small
    fraction (more cases, revoked decisions, uploads exactly at and just past the limit)."""
    if request.param == "small":
        run_demo(db, scale="small", seed=7, today=TODAY)
    else:
        from greensword.demo.national import build

        build(db, seed=7, today=TODAY, fraction=0.003)
    db.commit()
    return db


def test_faster_paths_give_the_same_figures(demo):
    db = demo
    filed = 0
    for start, end in ((date(2026, 1, 1), TODAY), (date(2025, 1, 1), date(2025, 12, 31)),
                       (date(2026, 3, 1), date(2026, 3, 31))):
        new = cases_queries.county_sums(db, start, end, measures=statistics.MEASURES)
        old = _reference_case_sums(db, start, end, statistics.MEASURES)
        keys = {k for d in old.values() for k in d}
        assert _nonzero(new, keys) == _nonzero(old, keys)
        filed += sum(v for d in old.values() for k, v in d.items() if k == "cases_filed")
        hours = inspection_service.sampling(end).upload_on_time_hours
        new_i = inspection_queries.county_sums(db, start, end, hours)
        old_i = _reference_inspection_sums(db, start, end, hours)
        keys = {"inspections", "findings", "uploads_on_time", "covered"}
        assert _nonzero(new_i, keys) == _nonzero(old_i, keys)
    assert filed > 0 and any(v for d in old_i.values() for v in d.values())

    # the dashboard's months: one grouped query == the month's full computation
    for unit in db.execute(select(Agency).where(Agency.level != "ministry").order_by(Agency.id).limit(40)).scalars():
        for year in (2025, 2026):
            fast = statistics.monthly(db, unit, year)
            slow = {k: [] for k in fast}
            for m in range(1, 13):
                f = statistics.Filters(date(year, m, 1), date(year + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
                figs = statistics.compute(db, f, cases_only=True)[unit.id]
                for k in fast:
                    slow[k].append(figs.get(k))
            assert fast == slow, (unit.name, year)
    province = db.execute(select(Agency).where(Agency.level == "province").order_by(Agency.id)).scalars().first()
    assert sum(statistics.monthly(db, province, 2026)["cases_filed"]) > 0


def test_review_quality_rolled_up_as_before(demo):
    db = demo
    year = TODAY.year
    quality = quality_by_unit(db, year)
    assert quality
    paths = {a.id: a.path for a in db.execute(select(Agency)).scalars()}
    for level in ("province", "city", "county"):
        for card in service.evaluate(db, year=year, level=level):
            unit_path = paths[card.agency_id]
            vals = [v for uid, v in quality.items() if paths.get(uid, "").startswith(unit_path)]
            want = sum(vals) / len(vals) if vals else None
            got = next(line["value"] for line in card.lines if line["code"] == "case_quality")
            assert got == want, card.name
