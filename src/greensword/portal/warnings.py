"""Warnings inbox (预警提醒): an officer marks a screened off-site lead "remind"; the firm gets a
warning with an answer deadline from rules/portal/warnings.yaml (key dischargers sooner); it
answers with an explanation and evidence, or admits and commits to rectify by a date (which opens
a rectification item); an answer after the deadline is accepted and marked late on both sides; the
answer returns to the lead, where the officer accepts it (the lead closes) or escalates it to an
on-site inspection (inspection.service.task_from_lead). Every write is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, get_in_scope, require_role, scope
from ..core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.timeutil import aware, now
from ..hj212 import queries as hj212
from ..inspection import service as inspection
from ..offsite import service as offsite
from ..registry.models import Agency, Enterprise
from . import rectify, rules, uploads
from .models.warnings import PortalWarning
from .notify import notify

STATUS = {"sent": "待企业答复", "answered": "企业已答复，待审核", "accepted": "答复已采纳", "escalated": "已转现场核查"}
ANSWERS = {"explain": "情况说明（附证据）", "admit": "确认问题，承诺整改"}


def state(w: PortalWarning) -> dict:
    return {"lead": w.lead_id, "enterprise": w.enterprise_id, "status": w.status, "due": w.due_at.isoformat(),
            "answer": w.answer_kind, "late": w.late, "files": [f["sha256"] for f in w.files or []],
            "task": w.task_id}


def remind(session: Session, actor: Actor, lead_id: int, note: str = "", *, at: datetime | None = None
           ) -> PortalWarning:
    """Send the firm a warning for a screened lead and mark the lead reminded."""
    require_role(actor, "officer", "leader", "admin")
    lead = offsite.get_lead(session, actor, lead_id)
    offsite.check_action(lead, "remind")
    if lead.enterprise_id is None or lead.enterprise is None:
        raise ValidationFailed("该线索没有对应的企业，不能发送预警", code="portal.lead_no_enterprise")
    if session.execute(select(PortalWarning.id).where(PortalWarning.lead_id == lead.id)).first():
        raise Conflict("该线索已向企业发送过预警", code="portal.warning_exists")
    ent = lead.enterprise
    key = bool(ent.key_polluter)
    t = at or now()
    r = rules.warnings().response.on(t.date())
    hours = r.hours_key if key else r.hours_other
    kind = offsite.DETECTOR_NAMES.get(lead.detector, lead.detector)
    what = hj212.factor_label(lead.factor) if lead.factor and lead.factor != "*" else "监测数据"
    body = (f"监测点 {lead.mn}，{what}，{aware(lead.start):%Y-%m-%d %H:%M} 至 {aware(lead.end):%Y-%m-%d %H:%M}："
            f"{(lead.evidence or {}).get('explanation', '')}")
    if note.strip():
        body += f"\n执法人员提示：{note.strip()}"

    w = PortalWarning(lead_id=lead.id, enterprise_id=ent.id, agency_id=ent.agency_id, title=f"{kind}：{what}"[:200],
                      body=body, key_discharger=key, hours=hours, sent_at=t, sent_by=actor.username,
                      due_at=t + timedelta(hours=hours), status="sent", answer_text="", late=False, files=[],
                      decision_note="")
    session.add(w)
    session.flush()
    offsite.act(session, actor, lead.id, "remind", reason=note.strip(), warning_id=w.id)
    audit.record(session, actor, "portal.warning.send", "portal_warning", w.id, state(w))
    notify(session, audience="enterprise", enterprise_id=ent.id, agency_id=ent.agency_id,
           title=f"预警提醒：{w.title}（请于 {aware(w.due_at):%m-%d %H:%M} 前答复）", body=body,
           link=f"/portal/warnings/{w.id}", at=t)
    return w


def get_warning(session: Session, actor: Actor, warning_id: int) -> PortalWarning:
    return get_in_scope(session, actor, PortalWarning, warning_id, what="预警", code="portal.warning_not_found",
                        path=lambda w: w.agency.path, enterprise=lambda w: w.enterprise_id)


def for_lead(session: Session, actor: Actor, lead_id: int) -> PortalWarning:
    wid = session.execute(select(PortalWarning.id).where(PortalWarning.lead_id == lead_id)).scalar_one_or_none()
    if wid is None:
        raise NotFound(f"线索 {lead_id} 没有发送过预警", code="portal.warning_not_found")
    return get_warning(session, actor, wid)


_OPEN = ("sent", "answered")

#: Sort keys of the warning list: open ones first, latest deadline first (the default), or one column.
WARNING_SORT = Sort(
    keys={"open": lambda desc: [PortalWarning.status.notin_(_OPEN),
                                PortalWarning.due_at.desc() if desc else PortalWarning.due_at.asc()],
          "sent": [PortalWarning.sent_at], "due": [PortalWarning.due_at], "status": [PortalWarning.status],
          "enterprise": [Enterprise.name]},
    default="-open", tiebreak=[PortalWarning.id.desc()],
    labels={"open": "待处理优先", "sent": "发送时间", "due": "答复期限", "status": "状态", "enterprise": "企业"})


def _warnings_query(session: Session, actor: Actor, *, status: str = "", q: str = "", agency_id: int | None = None,
                    overdue_at: datetime | None = None):
    from ..registry import service as registry

    stmt = scope(select(PortalWarning).join(Agency, PortalWarning.agency_id == Agency.id)
                 .join(Enterprise, PortalWarning.enterprise_id == Enterprise.id), actor, Agency.path,
                 PortalWarning.enterprise_id)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if status == "open":
        stmt = stmt.where(PortalWarning.status.in_(_OPEN))
    else:
        stmt = where_choice(stmt, PortalWarning.status, status, STATUS, "预警状态", "portal.bad_status")
    if overdue_at is not None:
        stmt = stmt.where(PortalWarning.status == "sent", PortalWarning.due_at < overdue_at)
    stmt = where_search(stmt, q, PortalWarning.title, Enterprise.name, Enterprise.uscc)
    return stmt


def page_warnings(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                  **filters) -> Page[PortalWarning]:
    """One page of the warnings the actor may see (open ones first unless ``sort``), with the total."""
    return page_of(session, _warnings_query(session, actor, **filters), page, sort=WARNING_SORT, sort_value=sort)


def iter_warnings(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[PortalWarning]:
    return iter_all(session, _warnings_query(session, actor, **filters), sort=WARNING_SORT, sort_value=sort)


def list_warnings(session: Session, actor: Actor, *, status: str = "", limit: int = 200) -> list[PortalWarning]:
    """The first ``limit`` warnings of a status, open ones first (panels; the list page pages)."""
    return page_warnings(session, actor, status=status, page=PageParams(size=max(1, min(limit, 500)))).items


def overdue(w: PortalWarning, at: datetime | None = None) -> bool:
    """No answer yet and the deadline has passed."""
    return w.status == "sent" and aware(w.due_at) < (at or now())


def answer(session: Session, actor: Actor, warning_id: int, *, kind: str, text: str,
           files: list[uploads.Upload], rectify_by: date | None = None, at: datetime | None = None) -> PortalWarning:
    """The firm's answer. After the deadline it is still accepted, marked late."""
    w = get_warning(session, actor, warning_id)
    if not actor.is_enterprise:
        raise PermissionDenied("预警由企业用户答复", code="portal.enterprise_only")
    if w.status != "sent":
        raise IllegalTransition(f"该预警处于“{STATUS[w.status]}”状态，不能再答复", code="portal.warning_answered")
    if kind not in ANSWERS:
        raise ValidationFailed(f"答复方式应为：{'、'.join(ANSWERS.values())}", code="portal.bad_answer_kind")
    if not (text or "").strip():
        raise ValidationFailed("请填写情况说明" if kind == "explain" else "请填写问题原因和整改措施",
                               code="portal.no_answer_text")
    t = at or now()
    if kind == "admit":
        if rectify_by is None:
            raise ValidationFailed("承诺整改须填写整改完成日期", code="portal.no_rectify_date")
        if rectify_by < t.date():
            raise ValidationFailed(f"整改完成日期 {rectify_by.isoformat()} 早于今天", code="portal.rectify_date_past")
    stored = uploads.store(files)
    if kind == "explain" and not stored:
        raise ValidationFailed("情况说明须附证据（照片、检测报告或运维记录，至少一份）", code="portal.no_evidence")
    w.status, w.answer_kind, w.answer_text, w.files = "answered", kind, text.strip(), stored
    w.rectify_by = rectify_by if kind == "admit" else None
    w.answered_at, w.answered_by, w.late = t, actor.username, t > aware(w.due_at)
    audit.record(session, actor, "portal.warning.answer", "portal_warning", w.id, state(w))
    if kind == "admit":
        rectify.create(session, actor, enterprise=w.enterprise, source="warning", source_ref=f"warning:{w.id}",
                       kind="warning", title=f"预警承诺整改：{w.title}", detail=w.answer_text, due_on=rectify_by,
                       at=t)
    notify(session, audience="agency", enterprise_id=w.enterprise_id, agency_id=w.agency_id,
           title=f"{w.enterprise.name}已答复预警{'（逾期答复）' if w.late else ''}：{w.title}",
           body=w.answer_text[:500], link=f"/portal/warnings/{w.id}", at=t)
    return w


def decide(session: Session, actor: Actor, warning_id: int, *, decision: str, note: str = "",
           officer_ids: list[int] | None = None, at: datetime | None = None) -> PortalWarning:
    """accept: the answer settles the lead (closed with the answer as its outcome); escalate: an
    on-site inspection task for the lead (also possible when the firm never answered)."""
    require_role(actor, "officer", "leader", "admin")
    w = get_warning(session, actor, warning_id)
    if decision == "accept":
        if w.status != "answered":
            raise IllegalTransition(f"该预警处于“{STATUS[w.status]}”状态，企业答复后才能采纳",
                                    code="portal.warning_not_answered")
        outcome = ("企业说明已采纳" if w.answer_kind == "explain" else
                   f"企业确认问题并承诺于 {w.rectify_by} 前整改，纳入整改督办")
        if w.late:
            outcome += "（逾期答复）"
        offsite.act(session, actor, w.lead_id, "close", reason=f"{outcome}{'：' + note.strip() if note.strip() else ''}")
        w.status = "accepted"
    elif decision == "escalate":
        if w.status not in ("sent", "answered"):
            raise IllegalTransition(f"该预警处于“{STATUS[w.status]}”状态，不能转现场核查", code="portal.warning_decided")
        if not note.strip():
            raise ValidationFailed("转现场核查须写明理由（如说明不成立、证据不足或逾期未答复）", code="portal.no_reason")
        if not officer_ids:
            raise ValidationFailed("转现场核查须指派执法人员（至少两名）", code="portal.no_officers")
        task = inspection.task_from_lead(session, actor, w.lead_id, officer_ids=officer_ids)
        w.status, w.task_id = "escalated", task.id
    else:
        raise ValidationFailed("审核结论应为采纳或转现场核查", code="portal.bad_decision")
    w.decided_at, w.decided_by, w.decision_note = at or now(), actor.username, note.strip()
    audit.record(session, actor, f"portal.warning.{decision}", "portal_warning", w.id, state(w))
    notify(session, audience="enterprise", enterprise_id=w.enterprise_id, agency_id=w.agency_id,
           title=("预警答复已采纳：" if decision == "accept" else "预警已转现场核查：") + w.title,
           body=note.strip(), link=f"/portal/warnings/{w.id}", at=w.decided_at)
    return w


def evidence_file(session: Session, actor: Actor, warning_id: int, sha: str) -> tuple[dict, bytes]:
    w = get_warning(session, actor, warning_id)
    for f in w.files or []:
        if f["sha256"] == sha:
            return f, uploads.read(sha)
    raise NotFound("该预警没有这份证据", code="portal.file_not_found")
