"""Read-only views other domains take from inspection (cases opening a case from an on-site
finding, statistics, evaluation), so they never query the inspection tables themselves."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..core import summary
from ..core.auth import Actor, scope
from ..core.errors import NotFound
from ..core.locks import lock_row
from ..core.pagination import Page, PageParams, Sort, page_of, where_search
from ..core.summary import months, ymd
from ..core.timeutil import TZ
from ..registry.models import Agency, Enterprise
from . import figures
from .models import CaseReferral, Evidence, InspectionCover, InspectionMonth, Plan, Record, Snapshot, Task


@dataclass(frozen=True)
class Referral:
    """A violation found on site waiting for (or already turned into) a case."""

    id: int
    status: str                     # pending | opened
    enterprise_id: int
    enterprise_name: str
    record_id: int
    task_id: int
    findings: str
    checked_at: datetime | None
    submitted_at: datetime | None
    officer_ids: list[int]


@dataclass(frozen=True)
class RecordEvidence:
    """What an on-site record contributes to a case file: the record and its evidence files."""

    record_id: int
    checked_at: datetime | None
    record_hash: str | None
    files: list[tuple[str, str]]     # (filename, sha256)


def _referral(ref: CaseReferral, rec: Record, ent: Enterprise) -> Referral:
    return Referral(id=ref.id, status=ref.status, enterprise_id=ref.enterprise_id, enterprise_name=ent.name,
                    record_id=rec.id, task_id=rec.task_id, findings=rec.findings, checked_at=rec.checked_at,
                    submitted_at=rec.submitted_at, officer_ids=list(rec.task.officer_ids or []))


def referral(session: Session, referral_id: int, *, lock: bool = False) -> Referral | None:
    """``lock=True`` when a case is opened from it: the referral row is locked until the commit and
    read after the lock (core.locks), so one finding becomes one case even when opened twice at once."""
    if lock and lock_row(session, CaseReferral, referral_id) is None:
        return None
    row = session.execute(select(CaseReferral, Record, Enterprise)
                          .join(Record, CaseReferral.record_id == Record.id)
                          .join(Enterprise, CaseReferral.enterprise_id == Enterprise.id)
                          .where(CaseReferral.id == referral_id)).first()
    return _referral(*row) if row else None


def _pending_query(actor: Actor, q: str = ""):
    stmt = (select(CaseReferral, Record, Enterprise).join(Record, CaseReferral.record_id == Record.id)
            .join(Enterprise, CaseReferral.enterprise_id == Enterprise.id)
            .join(Agency, Enterprise.agency_id == Agency.id).where(CaseReferral.status == "pending"))
    return where_search(scope(stmt, actor, Agency.path), q, Enterprise.name, Enterprise.uscc, Record.findings)


#: Sort keys of the pending referrals (newest first by default).
REFERRAL_SORT = Sort(keys={"referred": [CaseReferral.id], "enterprise": [Enterprise.name],
                           "checked": [Record.checked_at]},
                     default="-referred", tiebreak=[CaseReferral.id.desc()],
                     labels={"referred": "移交顺序", "enterprise": "企业", "checked": "检查时间"})


def pending_referrals(session: Session, actor: Actor, limit: int = 50) -> list[Referral]:
    """The newest ``limit`` pending referrals in the actor's jurisdiction (panels)."""
    return page_pending_referrals(session, actor, page=PageParams(size=max(1, min(limit, 500)))).items


def page_pending_referrals(session: Session, actor: Actor, *, q: str = "", sort: str = "",
                           page: PageParams | None = None) -> Page[Referral]:
    """One page of the pending referrals in the actor's jurisdiction (newest first unless ``sort``),
    with the total; ``q`` searches the firm's name and code and the findings."""
    p = page_of(session, _pending_query(actor, q), page, sort=REFERRAL_SORT, sort_value=sort)
    return Page([_referral(*row) for row in p.items], p.total, p.page, p.size, p.sort)


def pending_referral_ids(session: Session) -> list[int]:
    return list(session.execute(select(CaseReferral.id).where(CaseReferral.status == "pending")
                                .order_by(CaseReferral.id)).scalars())


def record_evidence(session: Session, record_id: int) -> RecordEvidence | None:
    rec = session.get(Record, record_id)
    if rec is None:
        return None
    files = [(ev.filename, ev.sha256) for ev in session.execute(
        select(Evidence).where(Evidence.task_id == rec.task_id)).scalars()]
    return RecordEvidence(rec.id, rec.checked_at, rec.record_hash, files)


def county_sums(session: Session, start: date, end: date, upload_on_time_hours: int, *,
                use_summary: bool = True) -> dict[int, dict[str, float]]:
    """Per agency id: inspections (submitted records checked in the period), findings, uploads on
    time, enterprises covered by routine checks, routine tasks planned and done (due in the period).
    Whole months come from the per-month sums the database keeps (inspection.figures) when the
    upload rule is the one they follow, the days at either edge from the records
    (``use_summary=False``: everything from the records, the reference the sums are tested against)."""
    whole, edges = months(start, end)
    if not use_summary or whole is None or upload_on_time_hours != figures.UPLOAD_HOURS:
        return _direct_sums(session, start, end, upload_on_time_hours)
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    kept = summary.rows(InspectionMonth.__table__, lambda t: t.c.ym.between(*whole))
    for agency_id, *values in session.execute(
            select(kept.c.agency_id, *[func.sum(kept.c[k]) for k in figures.MONTH_COLUMNS]).group_by(kept.c.agency_id)):
        for key, n in zip(figures.MONTH_COLUMNS, values, strict=True):
            if n:
                sums[agency_id][key] += float(n)
    for lo, hi in edges:
        for agency_id, values in _direct_sums(session, lo, hi, upload_on_time_hours).items():
            for key, n in values.items():
                if key != "covered":
                    sums[agency_id][key] += n
    # firms covered: the distinct (agency, firm) pairs of the period's days (kept per day: exact
    # for any period, no edge days)
    cover = summary.folded(InspectionCover.__table__, lambda t: t.c.day.between(ymd(start), ymd(end)))
    for agency_id, n in session.execute(
            select(cover.c.agency_id, func.count(func.distinct(cover.c.enterprise_id))).where(cover.c.records > 0)
            .group_by(cover.c.agency_id)):
        if n:
            sums[agency_id]["covered"] += n
    return sums


def _direct_sums(session: Session, start: date, end: date, upload_on_time_hours: int) -> dict[int, dict[str, float]]:
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    between = lambda col: and_(col >= start, col <= end)  # noqa: E731
    lo = datetime.combine(start, time(0), TZ)
    hi = datetime.combine(end + timedelta(days=1), time(0), TZ)
    period = and_(Record.status == "submitted", Record.checked_at >= lo, Record.checked_at < hi)
    joined = lambda *cols: select(Task.agency_id, *cols).join(Record, Record.task_id == Task.id).where(period)  # noqa: E731
    # uploads on time (submitted within the rule's hours of the check): counted in SQL well inside
    # the limit; the few within a second of it are compared exactly here (SQLite's julianday
    # arithmetic is a float)
    limit = timedelta(hours=upload_on_time_hours)
    if session.get_bind().dialect.name == "sqlite":
        secs = (func.julianday(Record.submitted_at) - func.julianday(Record.checked_at)) * 86400.0
        inside = secs <= limit.total_seconds() - 1
        for agency_id, checked, submitted in session.execute(joined(Record.checked_at, Record.submitted_at).where(
                secs > limit.total_seconds() - 1, secs < limit.total_seconds() + 1)):
            if checked and submitted and submitted - checked <= limit:
                sums[agency_id]["uploads_on_time"] += 1
    else:
        inside = Record.submitted_at - Record.checked_at <= limit
    # inspections, findings, uploads on time and the firms covered by routine checks in one pass
    for agency_id, n, findings, on_time, covered in session.execute(joined(
            func.count(), func.sum(case((Record.violation.is_(True), 1), else_=0)),
            func.sum(case((inside, 1), else_=0)),
            func.count(func.distinct(case((Task.source == "routine", Task.enterprise_id), else_=None))))
            .group_by(Task.agency_id)):
        s = sums[agency_id]
        s["inspections"] += n
        s["findings"] += findings or 0
        s["uploads_on_time"] += on_time or 0
        if covered:
            s["covered"] += covered
    # routine tasks due in the period, and those of them done, in one pass over the covering index
    for agency_id, n, done in session.execute(select(
            Task.agency_id, func.count(), func.sum(case((Task.status == "submitted", 1), else_=0))).where(
            Task.source == "routine", between(Task.due_date)).group_by(Task.agency_id)):
        sums[agency_id]["routine_planned"] += float(n or 0)
        if done:
            sums[agency_id]["routine_done"] += float(done)
    return sums


def inspections_by_officer(session: Session, start: date | None = None, end: date | None = None) -> dict[int, int]:
    """Submitted on-site records per officer id (every officer of the team counts), checked from
    ``start`` to ``end`` (Beijing dates) when given."""
    out: dict[int, int] = {}
    stmt = select(Task.officer_ids).join(Record, Record.task_id == Task.id).where(Record.status == "submitted")
    checked = func.coalesce(Record.checked_at, Record.submitted_at)
    if start is not None:
        stmt = stmt.where(checked >= datetime.combine(start, time(0), tzinfo=TZ))
    if end is not None:
        stmt = stmt.where(checked < datetime.combine(end + timedelta(days=1), time(0), tzinfo=TZ))
    for ids, in session.execute(stmt):
        for i in ids or []:
            out[i] = out.get(i, 0) + 1
    return out


# --- publication of draws (read by the disclosure domain) -----------------------------------

def _drawn(p: Plan) -> dict:
    return {"plan_id": p.id, "name": p.name, "agency": p.agency.name, "agency_code": p.agency.division_code,
            "period_start": p.period_start, "period_end": p.period_end, "mode": p.mode,
            "drawn_at": p.drawn_at, "seed": p.seed, "enterprises_hash": p.enterprises_hash,
            "officers_hash": p.officers_hash, "params_hash": p.params_hash, "result_hash": p.result_hash,
            "drawn": len((p.result or {}).get("items", [])), "redraws": len(p.redraws or [])}


def drawn_plans(session: Session, page: PageParams | None = None) -> Page[dict]:
    """One page of the drawn plans' public summaries (no personal data), latest draw first, with
    the total: for the disclosure of draws."""
    stmt = select(Plan).where(Plan.status == "drawn").order_by(Plan.drawn_at.desc(), Plan.id.desc())
    pg = page_of(session, stmt, page)
    pg.items = [_drawn(p) for p in pg.items]
    return pg


def draw_inputs(session: Session, plan_id: int) -> dict:
    """Everything needed to re-run a drawn plan outside the system: the seed, the frozen
    snapshots (enterprise ids, USCC, credit class, key-polluter category, positive-list flag,
    industry; officers by internal id with certification, department and unit code — no names or
    certificate numbers), the parameters, every hash and the result."""
    p = session.get(Plan, plan_id)
    if p is None or p.status != "drawn":
        raise NotFound(f"计划 {plan_id} 不存在或尚未抽取", code="inspection.plan_not_drawn")
    snaps = {}
    for kind, h in (("enterprises", p.enterprises_hash), ("officers", p.officers_hash)):
        snap = session.get(Snapshot, h)
        snaps[kind] = json.loads(snap.content) if snap is not None else None
    result = {k: v for k, v in (p.result or {}).items() if k != "params"}
    return {"plan_id": p.id, "seed": p.seed, "enterprises": snaps["enterprises"], "officers": snaps["officers"],
            "params": (p.result or {}).get("params"), "enterprises_hash": p.enterprises_hash,
            "officers_hash": p.officers_hash, "params_hash": p.params_hash, "result_hash": p.result_hash,
            "result": result}


@dataclass(frozen=True)
class Problem:
    """A checklist item an inspector marked "problem" in a submitted record (the enterprise
    portal makes it a rectification item)."""

    record_id: int
    enterprise_id: int
    item_code: str
    item_text: str
    findings: str
    checked_on: date


def problems(session: Session, enterprise_ids=None) -> list[Problem]:
    from .service.rules import checklist_for

    stmt = (select(Record.id, Task.enterprise_id, Enterprise.industry_code, Record.checklist, Record.findings,
                   Record.checked_at, Record.submitted_at)
            .join(Task, Record.task_id == Task.id).join(Enterprise, Task.enterprise_id == Enterprise.id)
            .where(Record.status == "submitted"))
    if enterprise_ids is not None:
        stmt = stmt.where(Task.enterprise_id.in_(set(enterprise_ids)))
    out, texts = [], {}
    for rid, eid, industry, checklist, findings, checked_at, submitted_at in session.execute(stmt.order_by(Record.id)):
        bad = [code for code, v in (checklist or {}).items() if v == "problem"]
        if not bad:
            continue
        if (industry := industry or "") not in texts:
            texts[industry] = {i.code: i.text for i in checklist_for(industry).items}
        day = (checked_at or submitted_at).astimezone(TZ).date()
        out.extend(Problem(rid, eid, code, texts[industry].get(code, code), findings, day) for code in bad)
    return out
