"""On-site records (移动执法): save, sign, submit (hashed, immutable), amend."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, require_role
from ...core.errors import Conflict, IllegalTransition, ValidationFailed
from ...core.timeutil import now
from ..draw import sha256
from ..models import Amendment, CaseReferral, Evidence, Record, Task
from .rules import checklist_for, sampling


def record_for(session: Session, actor: Actor, task: Task) -> Record:
    r = session.execute(select(Record).where(Record.task_id == task.id)).scalar_one_or_none()
    if r is None:
        r = Record(task_id=task.id, checklist={}, findings="", violation=False, signatures=[], status="draft")
        session.add(r)
        session.flush()
    return r


def _editable(r: Record) -> None:
    if r.status != "draft":
        raise IllegalTransition("检查记录已提交，不能修改；如需更正请追加补正记录",
                                code="inspection.record_submitted")


def save_record(session: Session, actor: Actor, task: Task, *, checklist: dict[str, str], findings: str,
                violation: bool, location: str = "", checked_at: datetime | None = None) -> Record:
    require_role(actor, "officer", "leader", "admin")
    r = record_for(session, actor, task)
    _editable(r)
    items = {i.code for i in checklist_for(task.enterprise.industry_code).items}
    bad = [k for k, v in checklist.items() if k not in items or v not in ("ok", "problem", "na")]
    if bad:
        raise ValidationFailed(f"检查事项 {bad} 不在清单中或结论无效（应为 ok/problem/na）",
                               code="inspection.bad_checklist")
    r.checklist, r.findings, r.violation, r.location = dict(checklist), findings, violation, location
    r.checked_at = checked_at or r.checked_at or now()
    audit.record(session, actor, "inspection.record.save", "inspection_record", r.id,
                 {"checklist": r.checklist, "violation": violation})
    return r


def sign(session: Session, actor: Actor, task: Task, *, role: str, name: str) -> Record:
    r = record_for(session, actor, task)
    _editable(r)
    if role not in ("officer", "enterprise") or not name.strip():
        raise ValidationFailed("签名须注明身份（officer/enterprise）和姓名", code="inspection.bad_signature")
    if any(s["role"] == role and s["name"] == name for s in r.signatures):
        raise Conflict(f"{name} 已签名", code="inspection.already_signed")
    r.signatures = [*r.signatures, {"role": role, "name": name.strip(), "at": now().isoformat()}]
    audit.record(session, actor, "inspection.record.sign", "inspection_record", r.id, {"role": role, "name": name})
    return r


def evidence_of(session: Session, task: Task) -> list[Evidence]:
    return list(session.execute(select(Evidence).where(Evidence.task_id == task.id).order_by(Evidence.id)).scalars())


def submit(session: Session, actor: Actor, task: Task) -> Record:
    require_role(actor, "officer", "leader", "admin")
    r = record_for(session, actor, task)
    _editable(r)
    items = [i.code for i in checklist_for(task.enterprise.industry_code).items]
    missing = [c for c in items if c not in r.checklist]
    if missing:
        raise ValidationFailed(f"检查事项未填写完整：{missing}", code="inspection.checklist_incomplete")
    officers = [s for s in r.signatures if s["role"] == "officer"]
    if len(officers) < sampling().team_size:
        raise ValidationFailed(f"须至少 {sampling().team_size} 名执法人员签名", code="inspection.officer_signatures")
    if not any(s["role"] == "enterprise" for s in r.signatures):
        raise ValidationFailed("须有企业代表签名（拒签的应注明并由见证人签名）", code="inspection.enterprise_signature")
    if r.violation and not r.findings.strip():
        raise ValidationFailed("发现违法行为时须填写检查发现", code="inspection.no_findings")
    ev = evidence_of(session, task)
    r.status = "submitted"
    r.submitted_at = now()
    r.submitted_by = actor.username
    r.record_hash = record_hash(r, [e.sha256 for e in ev])
    task.status = "submitted"
    if r.violation:
        session.add(CaseReferral(record_id=r.id, enterprise_id=task.enterprise_id, status="pending",
                                 created_at=now()))
    audit.record(session, actor, "inspection.record.submit", "inspection_record", r.id,
                 {"record_hash": r.record_hash, "violation": r.violation, "evidence": [e.sha256 for e in ev]})
    session.flush()
    return r


def record_hash(r: Record, evidence: list[str]) -> str:
    """What the submitted record commits to: its content and its evidence files' hashes."""
    return sha256({"task": r.task_id, "checklist": r.checklist, "findings": r.findings, "violation": r.violation,
                   "location": r.location, "checked_at": r.checked_at.isoformat() if r.checked_at else None,
                   "signatures": r.signatures, "evidence": evidence})


def amend(session: Session, actor: Actor, task: Task, text: str) -> Amendment:
    require_role(actor, "officer", "leader", "admin")
    r = record_for(session, actor, task)
    if r.status != "submitted":
        raise IllegalTransition("记录尚未提交，直接修改即可", code="inspection.amend_draft")
    if not text.strip():
        raise ValidationFailed("补正内容不能为空", code="inspection.empty_amendment")
    a = Amendment(record_id=r.id, text=text, by=actor.username, at=now())
    session.add(a)
    session.flush()
    audit.record(session, actor, "inspection.record.amend", "inspection_record", r.id, {"amendment": a.id, "text": text})
    return a
