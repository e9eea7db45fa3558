"""Targeted inspection tasks (leads, complaints, transfers) and the officer's task list."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, check_agency, require_role
from ...core.errors import NotFound, ValidationFailed
from ...core.timeutil import now
from ...registry.models import Agency, Enterprise, Officer
from ..models import CaseReferral, OfficerConflict, Task
from .rules import SOURCES, sampling


def create_targeted_task(session: Session, actor: Actor, *, enterprise_id: int, source: str, source_ref: str,
                         officer_ids: list[int], due_date: date) -> Task:
    """Leads, complaints, transfers: outside the random draw and never suppressed by the
    positive list."""
    require_role(actor, "admin", "leader", "officer")
    if source not in SOURCES or source == "routine":
        raise ValidationFailed(f"定向检查来源应为 {', '.join(k for k in SOURCES if k != 'routine')}",
                               code="inspection.bad_source")
    if not source_ref.strip():
        raise ValidationFailed("定向检查须关联来源（线索、投诉或移送编号）", code="inspection.no_source_ref")
    e = session.get(Enterprise, enterprise_id)
    if e is None:
        raise NotFound(f"企业 {enterprise_id} 不存在", code="inspection.enterprise_not_found")
    check_agency(actor, e.agency.path, "该企业")
    officers = [session.get(Officer, i) for i in officer_ids]
    certified = [o for o in officers if o is not None and o.cert_no and o.active]
    if len(certified) < sampling().team_size:
        raise ValidationFailed(f"现场检查须由至少 {sampling().team_size} 名持证执法人员进行",
                               code="inspection.team_too_small")
    conflicted = session.execute(select(OfficerConflict.officer_id).where(
        OfficerConflict.enterprise_id == e.id, OfficerConflict.officer_id.in_(officer_ids))).scalars().all()
    if conflicted:
        raise ValidationFailed(f"执法人员 {conflicted} 与该企业存在回避关系", code="inspection.conflicted")
    t = Task(agency_id=e.agency_id, enterprise_id=e.id, source=source, source_ref=source_ref,
             officer_ids=officer_ids, due_date=due_date, status="open", created_at=now())
    session.add(t)
    session.flush()
    audit.record(session, actor, "inspection.task.create", "inspection_task", t.id,
                 {"enterprise": e.uscc, "source": source, "source_ref": source_ref, "officers": officer_ids})
    return t


def mark_referral_opened(session: Session, actor: Actor, referral_id: int, *, case_id: int) -> CaseReferral:
    """The cases domain opened a case from this on-site finding."""
    ref = session.get(CaseReferral, referral_id)
    if ref is None:
        raise NotFound(f"移交记录 {referral_id} 不存在", code="cases.referral_not_found")
    ref.status = "opened"
    audit.record(session, actor, "inspection.referral.opened", "inspection_case_referral", ref.id,
                 {"status": ref.status, "case": case_id})
    return ref


def task_from_lead(session: Session, actor: Actor, lead_id: int, *, officer_ids: list[int],
                   due_date: date | None = None) -> Task:
    """A confirmed off-site lead becomes a targeted on-site task. The inspection domain owns this
    step: it reads the lead and records the task on it through the offsite service."""
    from ...offsite import service as offsite

    require_role(actor, "officer", "leader", "admin")
    lead = offsite.get_lead(session, actor, lead_id)
    offsite.check_action(lead, "request_inspection")
    if lead.enterprise_id is None:
        raise ValidationFailed("该线索没有对应的企业，不能派发现场核查", code="offsite.no_enterprise")
    task = create_targeted_task(session, actor, enterprise_id=lead.enterprise_id, source="lead",
                                source_ref=f"线索 {lead.id}（{offsite.DETECTOR_NAMES[lead.detector]}）",
                                officer_ids=officer_ids, due_date=due_date or (now() + timedelta(days=2)).date())
    offsite.act(session, actor, lead.id, "request_inspection", task_id=task.id)
    return task


def get_task(session: Session, actor: Actor, task_id: int) -> Task:
    t = session.get(Task, task_id)
    if t is None:
        raise NotFound(f"检查任务 {task_id} 不存在", code="inspection.task_not_found")
    check_agency(actor, t.enterprise.agency.path, "该检查任务")
    return t


def my_tasks(session: Session, actor: Actor, *, status: str = "open", limit: int = 100) -> list[Task]:
    stmt = select(Task).join(Enterprise, Task.enterprise_id == Enterprise.id).join(
        Agency, Enterprise.agency_id == Agency.id).where(Task.status == status)
    if actor.agency_path != "/":
        stmt = stmt.where(Agency.path.startswith(actor.agency_path, autoescape=True))
    return list(session.execute(stmt.order_by(Task.due_date, Task.id).limit(limit)).scalars())
