"""Targeted inspection tasks (leads, complaints, transfers) and the officer's task list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, get_in_scope, require_role, scope
from ...core.errors import NotFound, ValidationFailed
from ...core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ...core.timeutil import now
from ...registry import service as registry
from ...registry.models import Agency, Enterprise, Officer
from ..models import CaseReferral, OfficerConflict, Task
from .rules import SOURCES, sampling, task_rules


def lead_task_due(at: datetime, *, urgent: bool) -> date:
    """The day an on-site check of an off-site lead is due: the rules file's hours (urgent or
    not) in force on ``at``, counted from ``at``."""
    r = task_rules(at.date())
    return (at + timedelta(hours=r.lead_hours_urgent if urgent else r.lead_hours)).date()


def create_targeted_task(session: Session, actor: Actor, *, enterprise_id: int, source: str, source_ref: str,
                         officer_ids: list[int], due_date: date | None = None) -> Task:
    """Leads, complaints, transfers: outside the random draw and never suppressed by the
    positive list. A lead's check is due by the rules file (48 h, an urgent lead of a key
    polluter 4 h) unless ``due_date`` is given; other sources need ``due_date``."""
    require_role(actor, "admin", "leader", "officer")
    if source not in SOURCES or source == "routine":
        raise ValidationFailed(f"定向检查来源应为 {', '.join(k for k in SOURCES if k != 'routine')}",
                               code="inspection.bad_source")
    if not source_ref.strip():
        raise ValidationFailed("定向检查须关联来源（线索、投诉或移送编号）", code="inspection.no_source_ref")
    e = get_in_scope(session, actor, Enterprise, enterprise_id, what="企业", code="inspection.enterprise_not_found")
    created = now()
    if due_date is None:
        if source != "lead":
            raise ValidationFailed("定向检查须指定完成期限", code="inspection.no_due_date")
        due_date = lead_task_due(created, urgent=bool(e.key_polluter))
    officer_ids = list(dict.fromkeys(officer_ids))         # one person counts once towards the team
    officers = [session.get(Officer, i) for i in officer_ids]
    # a team is picked among the actor's own officers (the pickers offer no others): an id from
    # another jurisdiction is refused by number, its name not told
    outside = [i for i, o in zip(officer_ids, officers, strict=True)
               if o is not None and not actor.covers(o.agency.path)]
    if outside:
        raise ValidationFailed(f"执法人员（编号 {'、'.join(map(str, outside))}）不在本辖区，不能派发现场检查",
                               code="inspection.officer_out_of_scope")
    certified = [o for o in officers if o is not None and o.cert_no and o.active]
    team_size = sampling(created.date()).team_size
    if len(certified) < team_size:
        raise ValidationFailed(f"现场检查须由至少 {team_size} 名持证执法人员进行",
                               code="inspection.team_too_small")
    conflicted = session.execute(select(OfficerConflict.officer_id).where(
        OfficerConflict.enterprise_id == e.id, OfficerConflict.officer_id.in_(officer_ids))).scalars().all()
    if conflicted:
        raise ValidationFailed(f"执法人员 {conflicted} 与该企业存在回避关系", code="inspection.conflicted")
    t = Task(agency_id=e.agency_id, enterprise_id=e.id, source=source, source_ref=source_ref,
             officer_ids=officer_ids, due_date=due_date, status="open", created_at=created)
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
    lead = offsite.get_lead(session, actor, lead_id, lock=True)
    offsite.check_action(lead, "request_inspection")
    if lead.enterprise_id is None:
        raise ValidationFailed("该线索没有对应的企业，不能派发现场核查", code="offsite.no_enterprise")
    task = create_targeted_task(session, actor, enterprise_id=lead.enterprise_id, source="lead",
                                source_ref=f"线索 {lead.id}（{offsite.DETECTOR_NAMES[lead.detector]}）",
                                officer_ids=officer_ids, due_date=due_date)
    offsite.act(session, actor, lead.id, "request_inspection", task_id=task.id)
    return task


def get_task(session: Session, actor: Actor, task_id: int) -> Task:
    return get_in_scope(session, actor, Task, task_id, what="检查任务", code="inspection.task_not_found",
                        path=lambda t: t.enterprise.agency.path)


TASK_STATUS = {"open": "待检查", "submitted": "已提交"}

#: Sort keys of the task list (earliest due first by default).
TASK_SORT = Sort(
    keys={"due": [Task.due_date], "enterprise": [Enterprise.name], "source": [Task.source],
          "created": [Task.created_at], "agency": [Agency.name]},
    default="due", tiebreak=[Task.id],
    labels={"due": "截止日期", "enterprise": "企业", "source": "来源", "created": "派发时间", "agency": "所属区县"})


def _tasks_query(session: Session, actor: Actor, *, status: str = "open", q: str = "", source: str = "",
                 agency_id: int | None = None, overdue_only: bool = False, today: date | None = None):
    stmt = select(Task).join(Enterprise, Task.enterprise_id == Enterprise.id).join(
        Agency, Enterprise.agency_id == Agency.id)
    stmt = scope(stmt, actor, Agency.path)
    stmt = where_choice(stmt, Task.status, status, TASK_STATUS, "任务状态", "inspection.bad_status")
    stmt = where_search(stmt, q, Enterprise.name, Enterprise.uscc, Task.source_ref)
    stmt = where_choice(stmt, Task.source, source, SOURCES, "任务来源", "inspection.bad_source")
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if overdue_only:                   # a submitted task is done: only open tasks can be overdue
        stmt = stmt.where(Task.status == "open", Task.due_date < (today or now().date()))
    return stmt


def task_overdue(task: Task, today: date | None = None) -> bool:
    """Past its due date and still not submitted (a submitted task is never overdue)."""
    return task.status == "open" and task.due_date < (today or now().date())


def page_tasks(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
               **filters) -> Page[Task]:
    """One page of the tasks the actor may see, with the total."""
    return page_of(session, _tasks_query(session, actor, **filters), page, sort=TASK_SORT, sort_value=sort)


def iter_tasks(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Task]:
    return iter_all(session, _tasks_query(session, actor, **filters), sort=TASK_SORT, sort_value=sort)


def my_tasks(session: Session, actor: Actor, *, status: str = "open", limit: int | None = None) -> list[Task]:
    stmt = _tasks_query(session, actor, status=status).order_by(*TASK_SORT.order_by(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())
