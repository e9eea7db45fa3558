"""On-site records (移动执法): save, sign, submit (hashed, immutable), amend."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, require_role
from ...core.canonical import sha256_hex
from ...core.errors import Conflict, IllegalTransition, ValidationFailed
from ...core.locks import relock
from ...core.timeutil import now
from ..models import Amendment, CaseReferral, Evidence, Record, Task
from .field import SIGNATURES, Position, check_signature
from .rules import checklist_for, sampling

#: who signs an on-site record: the officers, the enterprise's representative, or — when the
#: representative refuses to sign — a witness (见证人), the refusal noted with the signature
SIGNER_ROLES = {"officer": "执法人员", "enterprise": "企业代表", "witness": "见证人（企业代表拒签）"}


def record_for(session: Session, actor: Actor, task: Task) -> Record:
    """The task's record (created as a draft on first use), for a change: the task is locked until
    the commit and the record read after the lock (core.locks), so a save, a signature, an
    evidence upload and the submission of one task's record happen one at a time — nothing is
    added to a record while it is being submitted, and it is submitted once."""
    relock(session, task)
    r = session.execute(select(Record).where(Record.task_id == task.id)
                        .execution_options(populate_existing=True)).scalar_one_or_none()
    if r is None:
        # the two officers of a task may save its first draft at the same moment (seen under the
        # load test as a unique-key 500): the second insert waits for the first and does nothing,
        # and both work on the one record
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(Record).values(task_id=task.id, checklist={}, findings="", violation=False,
                                              signatures=[], status="draft")
                        .on_conflict_do_nothing(index_elements=["task_id"]))
        r = session.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    return r


def _editable(r: Record) -> None:
    if r.status != "draft":
        raise IllegalTransition("检查记录已提交，不能修改；如需更正请追加补正记录",
                                code="inspection.record_submitted")


def save_record(session: Session, actor: Actor, task: Task, *, checklist: dict[str, str], findings: str,
                violation: bool, location: str = "", checked_at: datetime | None = None,
                position: Position | None = None) -> Record:
    """Save the draft. ``position`` (from the phone's GPS, see field.position) replaces the stored
    one when given; None keeps what is stored."""
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
    if position is not None:
        r.gps_lat, r.gps_lon = position.lat, position.lon
        r.gps_accuracy_m, r.gps_captured_at = position.accuracy_m, position.captured_at
    r.saved_at = now()
    audit.record(session, actor, "inspection.record.save", "inspection_record", r.id,
                 {"checklist": r.checklist, "violation": violation, "position": _position(r)})
    return r


def _position(r: Record) -> dict | None:
    if r.gps_lat is None:
        return None
    return {"lat": r.gps_lat, "lon": r.gps_lon, "accuracy_m": r.gps_accuracy_m,
            "captured_at": r.gps_captured_at.isoformat() if r.gps_captured_at else None}


def sign(session: Session, actor: Actor, task: Task, *, role: str, name: str, png: bytes,
         officer_names: list[str] | None = None) -> Record:
    """A drawn signature: ``png`` from the signature pad. An officer signs under one of the
    task's officers' names (``officer_names``, when given); nobody signs twice. The image is
    checked (real PNG, size limits, strokes on it) before anything is stored."""
    r = record_for(session, actor, task)
    _editable(r)
    name = name.strip()
    if role not in SIGNER_ROLES or not name:
        raise ValidationFailed("签名须注明身份（执法人员/企业代表/见证人）和姓名", code="inspection.bad_signature")
    if len(name) > 50:
        raise ValidationFailed("签名人姓名过长（不超过 50 字）", code="inspection.bad_signature")
    if role == "officer" and officer_names is not None and name not in officer_names:
        raise ValidationFailed(f"“{name}”不是本任务的检查人员（{'、'.join(officer_names)}）",
                               code="inspection.not_task_officer")
    if any(s["role"] == role and s["name"] == name for s in r.signatures):
        raise Conflict(f"{name} 已签名", code="inspection.already_signed")
    check_signature(png)
    sha = SIGNATURES.put(png)
    entry = {"role": role, "name": name, "at": now().isoformat(), "sha256": sha, "bytes": len(png)}
    if role == "witness":
        entry["note"] = "企业代表拒绝签名，由见证人签名"
    r.signatures = [*r.signatures, entry]
    audit.record(session, actor, "inspection.record.sign", "inspection_record", r.id,
                 {"role": role, "name": name, "sha256": sha})
    return r


def unsign(session: Session, actor: Actor, task: Task, *, sha: str) -> Record:
    """Take back a signature before the record is submitted (signed by mistake, to be redrawn)."""
    r = record_for(session, actor, task)
    _editable(r)
    left = [s for s in r.signatures if s.get("sha256") != sha]
    if len(left) == len(r.signatures):
        raise ValidationFailed("该签名不存在", code="inspection.signature_not_found")
    gone = next(s for s in r.signatures if s.get("sha256") == sha)
    r.signatures = left
    audit.record(session, actor, "inspection.record.unsign", "inspection_record", r.id,
                 {"role": gone["role"], "name": gone["name"], "sha256": sha})
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
    team_size = sampling((r.checked_at or now()).date()).team_size
    if len(officers) < team_size:
        raise ValidationFailed(f"须至少 {team_size} 名执法人员签名", code="inspection.officer_signatures")
    if not any(s["role"] in ("enterprise", "witness") for s in r.signatures):
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
    content = {"task": r.task_id, "checklist": r.checklist, "findings": r.findings, "violation": r.violation,
               "location": r.location, "checked_at": r.checked_at.isoformat() if r.checked_at else None,
               "signatures": r.signatures, "evidence": evidence}
    if r.gps_lat is not None:               # records without a position keep their earlier hash
        content["position"] = _position(r)
    return sha256_hex(content)


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
