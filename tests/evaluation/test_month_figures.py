"""The per-month figures the database keeps by triggers (cases.figures, inspection.figures,
core.summary) give exactly the figures counted from the records — for whole years, periods
crossing months and years, single days, month edges in Beijing time, uploads exactly at the
limit — after inserts, edits, state changes, moves between agencies and deletions made through
the ORM and through plain SQL; and the kept tables equal a rebuild from the records."""

from datetime import date, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import delete, insert, select, text, update

from greensword.cases import queries as cases_queries
from greensword.cases.figures import MEASURES as CASE_MEASURES
from greensword.cases.figures import SUMMARY as CASE_SUMMARY
from greensword.cases.models import Case, Measure
from greensword.core import cache
from greensword.core.summary import months, rebuild
from greensword.core.timeutil import TZ
from greensword.evaluation import statistics
from greensword.inspection import figures as inspection_figures
from greensword.inspection import queries as inspection_queries
from greensword.inspection.models import Record, Task
from greensword.offsite import queries as offsite_queries
from greensword.offsite.figures import MONTH as LEAD_MONTH
from greensword.offsite.models import Lead
from greensword.portal import queries as portal_queries
from greensword.portal.figures import MONTH as PORTAL_MONTH
from greensword.portal.models.rectification import Rectification
from greensword.portal.models.selfchecks import SelfCheck
from greensword.portal.models.warnings import PortalWarning
from greensword.registry.figures import POPULATION
from greensword.registry.models import Agency, Enterprise

TODAY = date(2026, 11, 1)
PERIODS = [
    (date(2026, 1, 1), TODAY),                    # the year so far: whole months and one day
    (date(2025, 1, 1), date(2025, 12, 31)),       # a whole year
    (date(2025, 12, 15), date(2026, 2, 10)),      # across a year, both edges partial
    (date(2026, 1, 31), date(2026, 1, 31)),       # one day, at a month's end
    (date(2026, 2, 1), date(2026, 2, 28)),        # one whole month
    (date(2025, 7, 1), date(2026, 6, 30)),        # whole months across a year
    (date(2026, 1, 2), date(2026, 3, 30)),        # one whole month between two partial ones
]


def _nonzero(sums):
    return {(a, k): v for a, d in sums.items() for k, v in d.items() if v and a is not None}


def _kept(db, summary):
    """The kept sums per key, the deltas not folded yet added in (core.summary)."""
    cols = ", ".join(summary.keys + summary.columns)
    both = f"SELECT {cols} FROM {summary.table} UNION ALL SELECT {cols} FROM {summary.delta}"
    return {tuple(r[:len(summary.keys)]): tuple(r[len(summary.keys):]) for r in db.execute(text(
        f"SELECT {', '.join(summary.keys)}, {', '.join(f'SUM({c})' for c in summary.columns)} FROM ({both}) b "
        f"GROUP BY {', '.join(summary.keys)}")) if any(r[len(summary.keys):])}


def _check(db):
    db.flush()
    for start, end in PERIODS:
        for tag in (None, "清水蓝天"):
            kept = cases_queries.county_sums(db, start, end, tag=tag, measures=statistics.MEASURES)
            direct = cases_queries.county_sums(db, start, end, tag=tag, measures=statistics.MEASURES, use_summary=False)
            assert _nonzero(kept) == _nonzero(direct), (start, end, tag)
        for hours in (inspection_figures.UPLOAD_HOURS, 48):
            kept = inspection_queries.county_sums(db, start, end, hours)
            direct = inspection_queries.county_sums(db, start, end, hours, use_summary=False)
            assert _nonzero(kept) == _nonzero(direct), (start, end, hours)
        kept = portal_queries.county_sums(db, start, end)
        direct = portal_queries.county_sums(db, start, end, use_summary=False)
        assert _nonzero(kept) == _nonzero(direct), (start, end, "portal")
        assert offsite_queries.leads_by_agency(db, start, end) == \
            offsite_queries.leads_by_agency(db, start, end, use_summary=False), (start, end, "leads")
    cache.clear()
    assert statistics._population(db) == statistics._population(db, direct=True)
    # the kept tables are what a rebuild from the records gives
    for summary in (CASE_SUMMARY, CASE_MEASURES, inspection_figures.MONTH, inspection_figures.COVER, POPULATION,
                    PORTAL_MONTH, LEAD_MONTH):
        before = _kept(db, summary)
        rebuild(db.connection(), summary)
        assert _kept(db, summary) == before, summary.table


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=TZ)


@pytest.fixture
def national(db):
    from greensword.demo.national import build

    build(db, seed=11, today=TODAY, fraction=0.003)
    db.commit()
    return db


@pytest.mark.db
def test_kept_month_figures_equal_the_records_after_every_kind_of_write(national):
    db = national
    assert db.execute(select(Case.id).where(Case.filed_on.is_not(None))).first() is not None
    _check(db)

    counties = list(db.execute(select(Agency.id).where(Agency.level == "county").order_by(Agency.id)).scalars())
    cases = list(db.execute(select(Case).where(Case.decided_on.is_not(None)).order_by(Case.id).limit(12)).scalars())
    assert len(cases) >= 8 and len(counties) >= 2
    # ORM edits: an outcome changed, a decision moved across a month and a year, a fine, an
    # offset, a lead, a case moved to another county, a decision taken back
    cases[0].outcome = "withdrawn"
    cases[0].closed_on = date(2026, 1, 31)
    cases[1].decided_on = date(2025, 12, 31)
    cases[1].outcome = "penalty"
    cases[1].fine = (cases[1].fine or 0) + 12345
    cases[2].offset_yuan = 777
    cases[3].lead_id = 999_999
    cases[3].filed_on = date(2026, 2, 1)
    cases[4].agency_id = counties[1] if cases[4].agency_id != counties[1] else counties[0]
    cases[5].decided_on = None
    cases[6].outcome = "revoked"
    cases[7].fine = None
    _check(db)

    # supporting measures: a case with measures moved to another county, a second measure of the
    # same kind for one case the next month, a measure's kind and day changed, one deleted
    measured = db.execute(select(Case).join(Measure, Measure.case_id == Case.id).order_by(Case.id)).scalars().first()
    assert measured is not None
    measured.agency_id = counties[1] if measured.agency_id != counties[1] else counties[0]
    m0 = db.execute(select(Measure).where(Measure.case_id == measured.id)).scalars().first()
    db.add_all([Measure(case_id=cases[0].id, kind="seizure", started_on=date(2026, 1, 31), data={},
                        created_at=m0.created_at),
                Measure(case_id=cases[0].id, kind="seizure", started_on=date(2026, 2, 1), data={},
                        created_at=m0.created_at),
                Measure(case_id=cases[1].id, kind="suspension", started_on=date(2025, 12, 31), data={},
                        created_at=m0.created_at)])
    db.flush()
    m0.kind = "restriction" if m0.kind != "restriction" else "suspension"
    m0.started_on = date(2026, 1, 2)
    _check(db)
    db.execute(delete(Measure.__table__).where(Measure.case_id == cases[0].id, Measure.started_on == date(2026, 2, 1)))
    db.execute(update(Measure.__table__).where(Measure.case_id == cases[1].id).values(case_id=cases[2].id))
    _check(db)

    # plain SQL: copies inserted in bulk, one edited by UPDATE, some deleted again
    cols = [c.name for c in Case.__table__.columns if c.name != "id"]
    rows = [dict(r._mapping) for r in db.execute(select(*[Case.__table__.c[c] for c in cols])
                                                 .where(Case.filed_on.is_not(None)).limit(6))]
    for i, r in enumerate(rows):
        r["number"] = f"TEST-{i}"
        r["filed_on"] = date(2026, 1, 1) + timedelta(days=30 * i)
    db.execute(insert(Case.__table__), rows)
    db.execute(update(Case.__table__).where(Case.number == "TEST-1").values(outcome="non_penalty",
                                                                            decided_on=date(2026, 3, 31)))
    _check(db)
    db.execute(delete(Case.__table__).where(Case.number.in_(("TEST-0", "TEST-1", "TEST-2"))))
    _check(db)

    # inspection: a record taken back to draft, checks at the last microsecond of a Beijing month,
    # uploads exactly at the limit and one microsecond past it, a task moved to another county, a
    # routine task turned targeted, a task done, a record moved to another task
    recs = list(db.execute(select(Record).join(Task, Task.id == Record.task_id)
                           .where(Record.status == "submitted", Task.source == "routine")
                           .order_by(Record.id).limit(8)).scalars())
    assert len(recs) == 8
    recs[0].status = "draft"
    edge = _utc(datetime(2026, 1, 31, 23, 59, 59, 999999))
    recs[1].checked_at = edge
    recs[1].submitted_at = edge + timedelta(hours=24)
    recs[2].checked_at = edge + timedelta(microseconds=1)
    recs[2].submitted_at = edge + timedelta(hours=24, microseconds=2)
    recs[3].checked_at = _utc(datetime(2025, 12, 31, 23, 59, 59))
    recs[3].submitted_at = None
    recs[3].violation = True
    db.flush()
    t4 = db.get(Task, recs[4].task_id)
    t4.agency_id = counties[1] if t4.agency_id != counties[1] else counties[0]
    t5 = db.get(Task, recs[5].task_id)
    t5.source = "complaint"
    t6 = db.get(Task, recs[6].task_id)
    t6.enterprise_id = db.get(Task, recs[7].task_id).enterprise_id
    t6.status = "open" if t6.status == "submitted" else "submitted"
    t6.due_date = date(2026, 2, 28)
    _check(db)
    free = db.execute(select(Task.id).where(Task.source == "routine", ~Task.id.in_(select(Record.task_id)))
                      .order_by(Task.id).limit(1)).scalar_one()
    db.execute(update(Record.__table__).where(Record.id == recs[1].id).values(task_id=free))
    _check(db)
    db.execute(delete(Record.__table__).where(Record.id == recs[2].id))
    db.execute(update(Task.__table__).where(Task.source == "routine", Task.due_date < date(2025, 6, 1))
               .values(due_date=date(2025, 6, 1)))
    _check(db)

    # portal: warnings answered on time and late, escalated, one sent at the last second of a
    # Beijing month, self-checks moved and removed, a rectification item closed and reopened
    ws = [r[0] for r in db.execute(text("SELECT id FROM portal_warning ORDER BY id LIMIT 4"))]
    assert len(ws) == 4
    month_end = _utc(datetime(2026, 1, 31, 23, 59, 59, 999999))
    db.execute(update(PortalWarning.__table__).where(PortalWarning.id == ws[0]).values(
        answered_at=month_end, late=True))
    db.execute(update(PortalWarning.__table__).where(PortalWarning.id == ws[1]).values(
        answered_at=month_end, late=False, sent_at=month_end))
    db.execute(update(PortalWarning.__table__).where(PortalWarning.id == ws[2]).values(status="escalated"))
    db.execute(update(PortalWarning.__table__).where(PortalWarning.id == ws[3]).values(
        sent_at=month_end + timedelta(microseconds=1), agency_id=counties[1]))
    sc = db.execute(text("SELECT id FROM portal_selfcheck ORDER BY id LIMIT 2")).scalars().all()
    db.execute(update(SelfCheck.__table__).where(SelfCheck.id == sc[0]).values(submitted_at=month_end))
    db.execute(delete(SelfCheck.__table__).where(SelfCheck.id == sc[1]))
    _check(db)
    rect = db.execute(select(Rectification)).scalars().first()
    if rect is not None:
        rect.closed_at = month_end
        _check(db)
        rect.closed_at = None
    _check(db)

    # leads: one created at the last microsecond of a Beijing month, one moved to another county,
    # one with no county, copies added and one removed
    ls = db.execute(select(Lead).order_by(Lead.id).limit(3)).scalars().all()
    assert len(ls) == 3
    ls[0].created_at = month_end
    ls[1].agency_id = counties[1] if ls[1].agency_id != counties[1] else counties[0]
    ls[2].agency_id = None
    cols = [c.name for c in Lead.__table__.columns if c.name != "id"]
    row = dict(db.execute(select(*[Lead.__table__.c[c] for c in cols]).where(Lead.id == ls[0].id)).one()._mapping)
    db.execute(insert(Lead.__table__), [dict(row, mn=f"TEST{i}", created_at=month_end + timedelta(microseconds=i))
                                        for i in range(3)])
    _check(db)
    db.execute(delete(Lead.__table__).where(Lead.mn == "TEST1"))
    _check(db)

    # enterprises: onto and off the positive list, moved to another county, added and removed
    firms = list(db.execute(select(Enterprise).order_by(Enterprise.id).limit(4)).scalars())
    firms[0].positive_list = not firms[0].positive_list
    firms[1].agency_id = counties[1] if firms[1].agency_id != counties[1] else counties[0]
    cols = [c.name for c in Enterprise.__table__.columns if c.name != "id"]
    row = dict(db.execute(select(*[Enterprise.__table__.c[c] for c in cols]).where(Enterprise.id == firms[2].id))
               .one()._mapping)
    db.execute(insert(Enterprise.__table__), [dict(row, uscc=f"91TEST{i:012d}", positive_list=bool(i % 2))
                                              for i in range(3)])
    _check(db)
    db.execute(delete(Enterprise.__table__).where(Enterprise.uscc == "91TEST000000000000"))
    db.execute(update(Enterprise.__table__).where(Enterprise.uscc == "91TEST000000000001").values(positive_list=False))
    _check(db)
    db.commit()


@pytest.mark.db
def test_statistics_from_kept_months_equal_the_records_for_every_unit(national, monkeypatch):
    """Every unit's figures (counties from the records, every ancestor rolled up) — the same
    whether whole months come from the kept sums or from the records."""
    db = national
    periods = [statistics.Filters(s, e) for s, e in PERIODS[:4]]
    kept = {f.start: statistics._compute(db, f, False) for f in periods}
    monkeypatch.setattr(cases_queries, "county_sums", partial(cases_queries.county_sums, use_summary=False))
    monkeypatch.setattr(inspection_queries, "county_sums", partial(inspection_queries.county_sums, use_summary=False))
    cache.clear()
    keys = [*statistics.LABELS, "covered", "population"]
    for f in periods:
        direct = statistics._compute(db, f, False)
        assert {a: [x.get(k) for k in keys] for a, x in kept[f.start].items()} == \
               {a: [x.get(k) for k in keys] for a, x in direct.items()}, f
    assert any(x.get("inspections") for x in direct.values())


def test_months_split_a_period_into_whole_months_and_edge_days():
    assert months(date(2026, 1, 1), date(2026, 12, 31)) == ((202601, 202612), [])
    assert months(date(2026, 1, 1), date(2026, 11, 1)) == ((202601, 202610), [(date(2026, 11, 1), date(2026, 11, 1))])
    assert months(date(2025, 12, 15), date(2026, 2, 10)) == (
        (202601, 202601), [(date(2025, 12, 15), date(2025, 12, 31)), (date(2026, 2, 1), date(2026, 2, 10))])
    assert months(date(2026, 1, 2), date(2026, 1, 30)) == (None, [(date(2026, 1, 2), date(2026, 1, 30))])
    assert months(date(2026, 2, 1), date(2026, 2, 28)) == ((202602, 202602), [])


@pytest.mark.db
def test_firms_covered_on_edge_days_see_the_deltas_not_folded_yet(national):
    """A firm checked on an edge day of the period and in one of its whole months counts once —
    also when that month's record was taken back after the last fold (the kept row still says
    checked, the delta says no longer): the edge lookup reads kept rows and deltas together."""
    from greensword.core.summary import fold_all

    db = national
    rec = db.execute(select(Record).join(Task, Task.id == Record.task_id).where(
        Record.status == "submitted", Task.source == "routine", Record.checked_at.is_not(None))
        .order_by(Record.id)).scalars().first()
    task = db.get(Task, rec.task_id)
    local = rec.checked_at.astimezone(TZ)
    month_start = local.date().replace(day=1)
    period = (month_start - timedelta(days=3), (month_start + timedelta(days=32)).replace(day=1) + timedelta(days=2))
    fold_all(db)
    db.commit()
    # the same firm checked by the same county on the period's first (edge) day …
    twin = Task(agency_id=task.agency_id, enterprise_id=task.enterprise_id, source="routine", officer_ids=[],
                due_date=period[0], status="submitted", created_at=task.created_at)
    db.add(twin)
    db.flush()
    at = datetime.combine(period[0], datetime.min.time()).replace(hour=10, tzinfo=TZ)
    db.add(Record(task_id=twin.id, status="submitted", checked_at=at, submitted_at=at + timedelta(hours=1)))
    db.flush()
    for hours in (inspection_figures.UPLOAD_HOURS,):
        kept = inspection_queries.county_sums(db, *period, hours)
        direct = inspection_queries.county_sums(db, *period, hours, use_summary=False)
        assert _nonzero(kept) == _nonzero(direct)
    # … and the whole month's record taken back (a delta of -1 not folded yet)
    others = db.execute(select(Record).join(Task, Task.id == Record.task_id).where(
        Task.agency_id == task.agency_id, Task.enterprise_id == task.enterprise_id, Task.source == "routine",
        Record.status == "submitted", Record.id != rec.id)).scalars().all()
    for r in [rec, *others]:
        if r.task_id != twin.id:
            r.status = "draft"
    db.flush()
    kept = inspection_queries.county_sums(db, *period, inspection_figures.UPLOAD_HOURS)
    direct = inspection_queries.county_sums(db, *period, inspection_figures.UPLOAD_HOURS, use_summary=False)
    assert direct[task.agency_id]["covered"] >= 1
    assert _nonzero(kept) == _nonzero(direct)
