"""Lead lifecycle: ingest findings (repeats of an open lead fold into it), rank by score and the
enterprise's history, response deadlines from the rules file, screening (confirm / dismiss with a
reason), reminder to the enterprise or an inspection request (a targeted task in the inspection
domain), closing with an outcome. Every step is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role, scope
from ..core.errors import IllegalTransition, NotFound, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.timeutil import TZ, now
from ..registry import service as registry
from ..registry.models import Agency, Enterprise, MonitoringPoint
from .detectors import LABELS, Finding
from .models import Lead
from .rules import rules
from .screen import evidence as evidence_of

#: detector names, and the lead kind the enterprise portal raises (a self-check contradicting the data)
DETECTOR_NAMES = {**LABELS, "selfcheck": "自查结论与监测数据矛盾"}
STATUS = {"new": "待甄别", "screened": "已甄别", "reminded": "已提醒", "inspection": "已转现场核查", "closed": "已办结"}


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=TZ) if dt.tzinfo is None else dt


def ingest(session: Session, actor: Actor, findings: list[Finding], lake_root: str) -> tuple[int, int]:
    """Findings → leads. Returns (new leads, folded repeats)."""
    r = rules().leads.on(now().date())
    points = {p.mn: p for p in session.execute(select(MonitoringPoint).where(
        MonitoringPoint.mn.in_({f.mn for f in findings}))).scalars()} if findings else {}
    history = dict(session.execute(select(Lead.enterprise_id, func.count()).group_by(Lead.enterprise_id)).all())
    created = folded = 0
    t = now()
    for f in findings:
        start, end = _aware(f.start), _aware(f.end)
        open_lead = session.execute(select(Lead).where(
            Lead.mn == f.mn, Lead.detector == f.detector, Lead.factor == f.factor, Lead.status != "closed",
            Lead.end >= start - timedelta(hours=r.fold_hours))).scalars().first()
        if open_lead is not None:          # a repeat folds into the open lead instead of a new alarm
            open_lead.end = max(_aware(open_lead.end), end)
            open_lead.start = min(_aware(open_lead.start), start)
            open_lead.score = max(open_lead.score, f.score)
            open_lead.repeats += 1
            open_lead.updated_at = now()
            folded += 1
            continue
        p = points.get(f.mn)
        ent = p.enterprise if p else None
        key = bool(ent and ent.key_polluter)
        prior = history.get(ent.id if ent else None, 0)
        lead = Lead(mn=f.mn, enterprise_id=ent.id if ent else None, agency_id=ent.agency_id if ent else None,
                    factor=f.factor, detector=f.detector, start=start, end=end, score=f.score,
                    rank_score=rank_score(r, f.score, prior, key),
                    status="new", evidence=evidence_of(f, lake_root), repeats=0,
                    due_at=t + timedelta(hours=r.response_hours_key if key else r.response_hours),
                    created_at=t, updated_at=t, reason="", outcome="")
        session.add(lead)
        session.flush()
        audit.record(session, actor, "offsite.lead.create", "offsite_lead", lead.id,
                     {"mn": f.mn, "detector": f.detector, "start": f.start.isoformat(), "end": f.end.isoformat()})
        created += 1
    return created, folded


def rank_score(r, score: float, prior: int, key: bool) -> float:
    """Order of the lead list: repeat offenders and key polluters first (weights in the rules)."""
    return round(score * (1 + r.rank_per_prior * min(prior, r.rank_prior_cap)) * (r.rank_key_factor if key else 1.0), 4)


def get_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"线索 {lead_id} 不存在", code="offsite.lead_not_found")
    if lead.agency_id:
        check_agency(actor, session.get(Agency, lead.agency_id).path, "该线索")
    return lead


def _leads_query(session: Session, actor: Actor, *, status: str = "", detector: str = "",
                 agency_id: int | None = None, q: str = "", overdue_only: bool = False):
    stmt = select(Lead).outerjoin(Agency, Lead.agency_id == Agency.id).outerjoin(
        Enterprise, Lead.enterprise_id == Enterprise.id)
    stmt = scope(stmt, actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_choice(stmt, Lead.status, status, STATUS, "线索状态", "offsite.bad_status")
    stmt = where_choice(stmt, Lead.detector, detector, DETECTOR_NAMES, "线索类型", "offsite.bad_detector")
    stmt = where_search(stmt, q, Enterprise.name, Enterprise.uscc, Lead.mn)
    if overdue_only:
        stmt = stmt.where(Lead.status.in_(("new", "screened")), Lead.due_at < now())
    return stmt


#: Sort keys of the lead list: open leads by rank first (the default), or one column.
LEAD_SORT = Sort(
    keys={"rank": lambda desc: [Lead.status == "closed", Lead.rank_score.desc() if desc else Lead.rank_score.asc()],
          "id": [Lead.id], "enterprise": [Enterprise.name], "detector": [Lead.detector], "start": [Lead.start],
          "status": [Lead.status], "due": [Lead.due_at], "created": [Lead.created_at]},
    default="-rank", tiebreak=[Lead.id],
    labels={"rank": "排序分", "id": "编号", "enterprise": "企业", "detector": "类型", "start": "时段",
            "status": "状态", "due": "响应期限", "created": "发现时间"})


def page_leads(session: Session, actor: Actor, *, status: str = "", detector: str = "", agency_id: int | None = None,
               q: str = "", overdue_only: bool = False, sort: str = "", page: PageParams | None = None) -> Page[Lead]:
    """One page of the leads the actor may see, with the total; open leads by rank by default."""
    stmt = _leads_query(session, actor, status=status, detector=detector, agency_id=agency_id, q=q,
                        overdue_only=overdue_only)
    return page_of(session, stmt, page, sort=LEAD_SORT, sort_value=sort)


def iter_leads(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Lead]:
    """Every lead of the list's filters in the list's order (exports)."""
    return iter_all(session, _leads_query(session, actor, **filters), sort=LEAD_SORT, sort_value=sort)


def list_leads(session: Session, actor: Actor, *, status: str = "", detector: str = "", agency_id: int | None = None,
               limit: int = 200) -> list[Lead]:
    return page_leads(session, actor, status=status, detector=detector, agency_id=agency_id,
                      page=PageParams(size=max(1, min(limit, 500)))).items


def overdue(lead: Lead, at: datetime | None = None) -> bool:
    return lead.status in ("new", "screened") and _aware(lead.due_at) < (at or now())


TRANSITIONS = {"confirm": ("new",), "dismiss": ("new",), "remind": ("screened",),
               "request_inspection": ("screened", "reminded"),
               "close": ("screened", "reminded", "inspection")}


def lead_detector(session: Session, lead_id: int) -> str:
    """The detector that raised lead ``lead_id``."""
    return session.execute(select(Lead.detector).where(Lead.id == lead_id)).scalar_one()


def check_action(lead: Lead, action: str) -> None:
    """Refuse an unknown action or one the lead's status does not allow."""
    if action not in TRANSITIONS:
        raise ValidationFailed(f"未知的线索操作 {action}", code="offsite.bad_action")
    if lead.status not in TRANSITIONS[action]:
        raise IllegalTransition(f"线索处于“{STATUS[lead.status]}”状态，不能执行该操作", code="offsite.illegal_transition")


def act(session: Session, actor: Actor, lead_id: int, action: str, *, reason: str = "",
        task_id: int | None = None, warning_id: int | None = None) -> Lead:
    """Move a lead along its lifecycle. ``request_inspection`` is owned by the inspection domain
    (``inspection.service.task_from_lead`` opens the task, then records it here with ``task_id``);
    ``remind`` by the enterprise portal (its warning service sends the warning the firm answers,
    then records it here with ``warning_id``), so no reminder goes out without a warning."""
    require_role(actor, "officer", "leader", "admin")
    lead = get_lead(session, actor, lead_id)
    check_action(lead, action)
    if action in ("dismiss", "close") and not reason.strip():
        raise ValidationFailed("排除或办结线索须说明理由/结果", code="offsite.no_reason")
    if action == "confirm":
        lead.status, lead.verdict, lead.reason = "screened", "confirmed", reason
    elif action == "dismiss":
        lead.status, lead.verdict, lead.reason = "closed", "dismissed", reason
        lead.outcome = "甄别排除"
    elif action == "remind":
        if warning_id is None:
            raise ValidationFailed("提醒企业须由企业端（环保e企管）发出预警", code="offsite.no_warning")
        lead.status = "reminded"
        lead.reason = f"{reason or '已向企业发送预警提醒'}（预警 {warning_id}）"
    elif action == "request_inspection":
        if task_id is None:
            raise ValidationFailed("转现场核查须由检查模块派发检查任务", code="offsite.no_task")
        lead.status, lead.task_id = "inspection", task_id
    elif action == "close":
        lead.status, lead.outcome = "closed", reason
    lead.updated_at = now()
    audit.record(session, actor, f"offsite.lead.{action}", "offsite_lead", lead.id,
                 {"status": lead.status, "reason": reason, "task": lead.task_id, "warning": warning_id})
    return lead


def lead_from_selfcheck(session: Session, actor: Actor | str, *, mn: str, factor: str, start: datetime,
                        end: datetime, explanation: str, evidence: dict) -> Lead:
    """A lead raised by the enterprise portal: a self-check reporting no problem for a period in
    which this point's data had exceedance leads. Screened like any other lead."""
    r = rules().leads.on(now().date())
    p = session.execute(select(MonitoringPoint).where(MonitoringPoint.mn == mn)).scalar_one()
    ent = p.enterprise
    key = bool(ent.key_polluter)
    prior = session.execute(select(func.count()).select_from(Lead).where(Lead.enterprise_id == ent.id)).scalar_one()
    t = now()
    lead = Lead(mn=mn, enterprise_id=ent.id, agency_id=ent.agency_id, factor=factor, detector="selfcheck",
                start=_aware(start), end=_aware(end), score=1.0, rank_score=rank_score(r, 1.0, prior, key),
                status="new", evidence={"explanation": explanation, "rule": {
                    "detector": "selfcheck", "thresholds": {}, "label": DETECTOR_NAMES["selfcheck"],
                    "source": None}, "rows": [], "query": "", **evidence},
                repeats=0, due_at=t + timedelta(hours=r.response_hours_key if key else r.response_hours),
                created_at=t, updated_at=t, reason="", outcome="")
    session.add(lead)
    session.flush()
    audit.record(session, actor, "offsite.lead.create", "offsite_lead", lead.id,
                 {"mn": mn, "detector": "selfcheck", "start": start.isoformat(), "end": end.isoformat()})
    return lead


def exceedance_leads(session: Session, enterprise_id: int, start: datetime, end: datetime) -> list[Lead]:
    """Exceedance leads of a firm overlapping [start, end) that were not dismissed (read only)."""
    return list(session.execute(select(Lead).where(
        Lead.enterprise_id == enterprise_id, Lead.detector == "exceedance", Lead.start < end, Lead.end > start,
        (Lead.verdict.is_(None)) | (Lead.verdict != "dismissed")).order_by(Lead.start)).scalars())


def confirmed_for_planning(session: Session, actor: Actor) -> list[Lead]:
    """Confirmed leads waiting for an on-site check (the inspection planner's queue)."""
    return [x for x in list_leads(session, actor, status="screened") if x.verdict == "confirmed"]


def limits_from_registry(session: Session, county_code: str | None = None, mns: list[str] | None = None):
    """The registered limits (and power links) the detectors compare against: of every point, of a
    county's points, or of the points ``mns`` (a lead's page needs one)."""
    from ..registry.service import limits_table, power_links_by_mn
    from .hourly import Limits

    if county_code:
        mns = session.execute(select(MonitoringPoint.mn).join(Enterprise).join(
            Agency, Enterprise.agency_id == Agency.id).where(Agency.division_code == county_code)).scalars().all()
    table: dict = {}
    standards: dict = {}
    for row in limits_table(session, mns):
        table.setdefault(row["mn"], {})[row["factor"]] = (row["limit"], row["ref_o2"])
        if row.get("standard"):
            standards[(row["mn"], row["factor"])] = row["standard"]
    return Limits(table, power_links_by_mn(session, mns), standards)
