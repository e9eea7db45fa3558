"""Publication of results and inspection statistics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...core import cache
from ...core.auth import Actor, scope
from ...core.pagination import Page, PageParams, Sort, iter_all, page_of, where_search
from ...core.timeutil import TZ, now
from ...registry import service as registry
from ...registry.models import Agency, Enterprise
from ..models import Record, Task
from .rules import checklist_for, sampling, task_rules

RESULT_TEXT = {False: "未发现环境违法问题", True: "发现环境违法问题，依法处理"}


_CHECKED = func.coalesce(Record.checked_at, Record.submitted_at)

#: Sort keys of the public results (newest check first by default).
PUBLIC_SORT = Sort(
    keys={"checked": [_CHECKED], "enterprise": [Enterprise.name], "agency": [Agency.division_code],
          "result": [Record.violation]},
    default="-checked", tiebreak=[Record.id.desc()],
    labels={"checked": "检查日期", "enterprise": "企业名称", "agency": "检查机构", "result": "检查结果"})


def _published_query(session: Session, *, agency_path: str = "/", enterprise_id: int | None = None, q: str = "",
                     agency_id: int | None = None, year: int | None = None, violation: bool | None = None):
    # the columns the public row shows, not the four whole objects (a record carries its JSON
    # evidence and signatures: an export of 6,500 results decoded 26,000 JSON documents)
    stmt = (select(Enterprise.name, Enterprise.uscc, Agency.name, Task.plan_id, Record.checked_at,
                   Record.submitted_at, Enterprise.industry_code, Record.checklist, Record.violation)
            .select_from(Record).join(Task, Record.task_id == Task.id).join(Enterprise, Task.enterprise_id == Enterprise.id)
            .join(Agency, Enterprise.agency_id == Agency.id)
            .where(Record.status == "submitted", Task.source == "routine",
                   Agency.path.startswith(agency_path, autoescape=True)))
    if enterprise_id is not None:
        stmt = stmt.where(Task.enterprise_id == enterprise_id)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_search(stmt, q, Enterprise.name, Enterprise.uscc)
    if year:
        stmt = stmt.where(_CHECKED >= datetime(year, 1, 1, tzinfo=TZ), _CHECKED < datetime(year + 1, 1, 1, tzinfo=TZ))
    if violation is not None:
        stmt = stmt.where(Record.violation.is_(violation))
    return stmt


def _public_row(enterprise: str, uscc: str, agency: str, plan_id, checked_at, submitted_at, industry: str,
                checklist, violation, matters_of: dict | None = None) -> dict:
    """One public result. ``matters_of`` keeps each industry's checklist items across the rows of
    one listing (an export asks for the same few industries thousands of times)."""
    key = industry or ""
    items = matters_of.get(key) if matters_of is not None else None
    if items is None:
        items = [(i.code, i.text) for i in checklist_for(industry).items]
        if matters_of is not None:
            matters_of[key] = items
    checked = checklist or ()
    return {"enterprise": enterprise, "uscc": uscc, "agency": agency, "plan_id": plan_id,
            "checked_on": (checked_at or submitted_at).date().isoformat(),
            "matters": "；".join(text for code, text in items if code in checked),
            "result": RESULT_TEXT[bool(violation)]}


def page_published(session: Session, *, sort: str = "", page: PageParams | None = None, **filters) -> Page[dict]:
    """One page of the public results (no personal data) with the total."""
    p = page_of(session, _published_query(session, **filters), page, sort=PUBLIC_SORT, sort_value=sort)
    memo: dict = {}
    p.items = [_public_row(*row, matters_of=memo) for row in p.items]
    return p


def iter_published(session: Session, *, sort: str = "", **filters) -> Iterator[dict]:
    """Every public result of the filters, read in batches (the CSV export)."""
    memo: dict = {}
    for row in iter_all(session, _published_query(session, **filters), sort=PUBLIC_SORT, sort_value=sort):
        yield _public_row(*row, matters_of=memo)


def published_results(session: Session, *, agency_path: str = "/", limit: int | None = None,
                      enterprise_id: int | None = None) -> list[dict]:
    """Routine-draw results for the public: enterprise, date, matters, result. No personal data."""
    stmt = _published_query(session, agency_path=agency_path, enterprise_id=enterprise_id)
    stmt = stmt.order_by(*PUBLIC_SORT.order_by(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    memo: dict = {}
    return [_public_row(*row, matters_of=memo) for row in session.execute(stmt)]


def statistics(session: Session, actor: Actor, *, year: int) -> list[dict]:
    """Per county: plan completion, coverage, on-time upload share, findings per inspection (kept
    until the next audited write, per jurisdiction and year)."""
    return cache.cached(session, "inspection.statistics", (actor.is_enterprise, actor.enterprise_id, actor.agency_path, year),
                        lambda: _statistics(session, actor, year=year))


def _statistics(session: Session, actor: Actor, *, year: int) -> list[dict]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    rules, grace = sampling(end), task_rules(end).statistics_grace_days
    stmt = select(Agency).where(Agency.level == "county")
    stmt = scope(stmt, actor, Agency.path)
    counties = list(session.execute(stmt.order_by(Agency.division_code)).scalars())
    tasks = session.execute(
        select(Task.agency_id, Task.source, Task.status, Task.enterprise_id, Record.submitted_at,
               Record.checked_at, Record.violation)
        .outerjoin(Record, Record.task_id == Task.id)
        .where(Task.due_date >= start, Task.due_date <= end + timedelta(days=grace))).all()
    population = dict(session.execute(select(Enterprise.agency_id, func.count()).where(
        Enterprise.positive_list.is_(False)).group_by(Enterprise.agency_id)).all())
    by_agency: dict[int, list] = {}
    for t in tasks:
        by_agency.setdefault(t.agency_id, []).append(t)
    rows = []
    for c in counties:
        mine = by_agency.get(c.id, [])
        routine = [t for t in mine if t.source == "routine"]
        done = [t for t in mine if t.status == "submitted"]
        on_time = [t for t in done if t.submitted_at and t.checked_at
                   and t.submitted_at - t.checked_at <= timedelta(hours=rules.upload_on_time_hours)]
        covered = {t.enterprise_id for t in done}
        pop = population.get(c.id, 0)
        rows.append({
            "agency": c.name, "division_code": c.division_code, "planned": len(routine),
            "completed": sum(1 for t in routine if t.status == "submitted"),
            "completion_rate": _rate(sum(1 for t in routine if t.status == "submitted"), len(routine)),
            "coverage_rate": _rate(len(covered), pop), "inspections": len(done),
            "on_time_rate": _rate(len(on_time), len(done)),
            "findings_per_inspection": _rate(sum(1 for t in done if t.violation), len(done)),
            "targeted": sum(1 for t in mine if t.source != "routine")})
    return rows


def coverage_by_stratum(session: Session, actor: Actor, *, year: int) -> list[dict]:
    """Share of each stratum inspected at least once in the year by a routine check, against the
    rules file's annual minimum (positive-list enterprises are outside routine coverage). Kept
    until the next audited write, per jurisdiction and year."""
    return cache.cached(session, "inspection.coverage_by_stratum", (actor.is_enterprise, actor.enterprise_id, actor.agency_path, year),
                        lambda: _coverage_by_stratum(session, actor, year=year))


def _coverage_by_stratum(session: Session, actor: Actor, *, year: int) -> list[dict]:
    from ..draw import _matches

    rules = sampling(date(year, 12, 31))
    lo, hi = datetime(year, 1, 1, tzinfo=now().tzinfo), datetime(year + 1, 1, 1, tzinfo=now().tzinfo)
    inspected = select(Task.enterprise_id).join(Record, Record.task_id == Task.id).where(
        Task.source == "routine", Record.status == "submitted", Record.checked_at >= lo, Record.checked_at < hi)
    # a stratum matches on the firm's key-polluter kind and credit class only, so the firms are
    # counted per (kind, class) in the database — with how many were inspected — instead of
    # matching a province's 20,000 firms one by one
    stmt = select(Enterprise.key_polluter, Enterprise.credit_class, func.count(),
                  func.sum(case((Enterprise.id.in_(inspected), 1), else_=0))).join(
        Agency, Enterprise.agency_id == Agency.id).where(Enterprise.positive_list.is_(False))
    stmt = scope(stmt, actor, Agency.path).group_by(Enterprise.key_polluter, Enterprise.credit_class)
    remaining = [({"key_polluter": kp, "credit_class": cc}, n, int(done or 0)) for kp, cc, n, done in session.execute(stmt)]
    out = []
    for st in rules.strata:
        members = [g for g in remaining if _matches(g[0], st.match)]       # each firm in its first stratum
        remaining = [g for g in remaining if not _matches(g[0], st.match)]
        population, done = sum(g[1] for g in members), sum(g[2] for g in members)
        minimum = rules.annual_minimum.get(st.code)
        rate = _rate(done, population)
        out.append({"code": st.code, "name": st.name, "population": population, "inspected": done, "rate": rate,
                    "minimum": minimum, "met": rate is not None and minimum is not None and rate >= minimum})
    return out


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def quarter_bounds(year: int, q: int) -> tuple[date, date]:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = (date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1))
    return start, end
