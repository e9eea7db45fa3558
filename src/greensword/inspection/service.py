"""Inspection services: plans and reproducible draws, targeted tasks, on-site records with
content-addressed evidence (resumable uploads), publication and statistics. Every change is
audited; the draw's inputs and hashes go into the audit trail."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role
from ..core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from ..core.rules import Source, load
from ..core.timeutil import now
from ..registry.models import Agency, Enterprise, Officer
from .draw import DrawError, canonical, run_draw, sha256
from .models import Amendment, CaseReferral, Evidence, OfficerConflict, Plan, Record, Snapshot, Task, Upload

SOURCES = {"routine": "双随机抽查", "lead": "非现场监管线索", "complaint": "信访投诉", "transfer": "移送/交办",
           "special": "专项检查"}
MODES = {"routine": "常规双随机", "joint": "跨部门联合抽查", "cross_region": "异地交叉执法"}


class Stratum(BaseModel):
    code: str
    name: str
    match: dict = {}
    ratio: float


class SamplingRules(BaseModel):
    source: Source
    strata: list[Stratum]
    credit_multiplier: dict[str, float]
    exclude_positive_list: bool
    team_size: int
    annual_minimum: dict[str, float]
    publish_within_working_days: int
    upload_on_time_hours: int


class ChecklistItem(BaseModel):
    code: str
    text: str
    basis: str = ""


class Checklist(BaseModel):
    prefix: str
    name: str
    items: list[ChecklistItem]


class ChecklistRules(BaseModel):
    source: Source
    lists: list[Checklist]


def sampling() -> SamplingRules:
    return load("inspection/sampling.yaml", SamplingRules)


def checklist_for(industry_code: str) -> Checklist:
    for c in load("inspection/checklist.yaml", ChecklistRules).lists:
        if industry_code.startswith(c.prefix):
            return c
    raise ValidationFailed("抽查事项清单缺少默认清单", code="inspection.no_checklist")


# --- plans and draws ---------------------------------------------------------------------

def _agency(session: Session, actor: Actor, agency_id: int) -> Agency:
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="inspection.agency_not_found")
    check_agency(actor, a.path, "该机构")
    return a


def create_plan(session: Session, actor: Actor, *, agency_id: int, name: str, period_start: date,
                period_end: date, teams: int, mode: str = "routine", strata: list[dict] | None = None,
                partner_departments: list[str] | None = None, officer_agency_ids: list[int] | None = None,
                industry_prefix: str = "") -> Plan:
    require_role(actor, "admin", "leader")
    a = _agency(session, actor, agency_id)
    if mode not in MODES:
        raise ValidationFailed(f"未知的抽查方式 {mode}", code="inspection.bad_mode")
    if period_end < period_start:
        raise ValidationFailed("计划结束日期早于开始日期", code="inspection.bad_period")
    if teams < 1:
        raise ValidationFailed("检查组数量至少为 1", code="inspection.bad_teams")
    if mode == "joint" and not partner_departments:
        raise ValidationFailed("跨部门联合抽查须指定参与部门", code="inspection.no_partner")
    if mode == "cross_region" and not officer_agency_ids:
        raise ValidationFailed("异地交叉执法须指定派出检查人员的机构", code="inspection.no_cross_agency")
    rules = sampling()
    strata = strata or [s.model_dump() for s in rules.strata]
    for s in strata:
        if not 0 <= float(s["ratio"]) <= 1:
            raise ValidationFailed(f"分层 {s['code']} 的抽查比例应在 0–1 之间", code="inspection.bad_ratio")
    params = {"strata": strata, "credit_multiplier": rules.credit_multiplier,
              "exclude_positive_list": rules.exclude_positive_list, "team_size": rules.team_size, "teams": teams,
              "partner_departments": partner_departments or [], "officer_agency_ids": officer_agency_ids or [],
              "industry_prefix": industry_prefix, "rules_source": rules.source.title}
    plan = Plan(agency_id=a.id, name=name, period_start=period_start, period_end=period_end, mode=mode,
                params=params, status="draft", redraws=[], created_at=now())
    session.add(plan)
    session.flush()
    audit.record(session, actor, "inspection.plan.create", "inspection_plan", plan.id,
                 {"name": name, "agency": a.division_code, "mode": mode, "params": params})
    return plan


def get_plan(session: Session, actor: Actor, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"抽查计划 {plan_id} 不存在", code="inspection.plan_not_found")
    check_agency(actor, plan.agency.path, "该抽查计划")
    return plan


def list_plans(session: Session, actor: Actor, *, limit: int = 200) -> list[Plan]:
    stmt = select(Plan).join(Agency, Plan.agency_id == Agency.id)
    if actor.agency_path != "/":
        stmt = stmt.where(Agency.path.startswith(actor.agency_path, autoescape=True))
    return list(session.execute(stmt.order_by(Plan.period_start.desc(), Plan.id.desc()).limit(limit)).scalars())


def _enterprise_snapshot(session: Session, plan: Plan) -> list[dict]:
    stmt = (select(Enterprise.id, Enterprise.uscc, Enterprise.key_polluter, Enterprise.credit_class,
                   Enterprise.positive_list, Enterprise.industry_code)
            .join(Agency, Enterprise.agency_id == Agency.id)
            .where(Agency.path.startswith(plan.agency.path, autoescape=True)))
    if plan.params.get("industry_prefix"):
        stmt = stmt.where(Enterprise.industry_code.startswith(plan.params["industry_prefix"]))
    return [{"id": i, "uscc": u, "key_polluter": k or "", "credit_class": c, "positive_list": bool(p),
             "industry_code": ind} for i, u, k, c, p, ind in session.execute(stmt.order_by(Enterprise.uscc))]


def _officer_snapshot(session: Session, plan: Plan) -> list[dict]:
    if plan.mode == "cross_region":
        paths = [session.get(Agency, i).path for i in plan.params["officer_agency_ids"]]
    else:
        paths = [plan.agency.path]
    out: dict[int, dict] = {}
    for path in paths:
        stmt = (select(Officer.id, Officer.cert_no, Officer.department, Agency.division_code)
                .join(Agency, Officer.agency_id == Agency.id)
                .where(Agency.path.startswith(path, autoescape=True), Officer.active.is_(True)))
        for oid, cert, dept, code in session.execute(stmt):
            out[oid] = {"id": oid, "certified": bool(cert), "department": dept, "agency_code": code}
    if plan.params.get("partner_departments"):
        # other departments' officers come from their own directory under the same government level
        stmt = (select(Officer.id, Officer.cert_no, Officer.department, Agency.division_code)
                .join(Agency, Officer.agency_id == Agency.id)
                .where(Officer.department.in_(plan.params["partner_departments"]), Officer.active.is_(True)))
        for oid, cert, dept, code in session.execute(stmt):
            out[oid] = {"id": oid, "certified": bool(cert), "department": dept, "agency_code": code}
    return sorted(out.values(), key=lambda o: o["id"])


def _freeze(session: Session, kind: str, content: list[dict]) -> str:
    h = sha256(content)
    if session.get(Snapshot, h) is None:
        session.add(Snapshot(hash=h, kind=kind, content=canonical(content).decode(), created_at=now()))
    return h


def _draw_params(session: Session, plan: Plan, enterprises: list[dict], officers: list[dict]) -> dict:
    """The plan's parameters plus the avoidance inputs, all of which are published with the draw."""
    ent_ids = {e["id"] for e in enterprises}
    off_ids = {o["id"] for o in officers}
    conflicts = sorted([o, e] for o, e in session.execute(
        select(OfficerConflict.officer_id, OfficerConflict.enterprise_id)) if o in off_ids and e in ent_ids)
    prev = session.execute(select(Plan).where(Plan.agency_id == plan.agency_id, Plan.status == "drawn",
                                              Plan.period_start < plan.period_start)
                           .order_by(Plan.period_start.desc(), Plan.id.desc()).limit(1)).scalar_one_or_none()
    previous = []
    if prev is not None and prev.result:
        previous = sorted([o, it["enterprise_id"]] for it in prev.result["items"] for o in it["officers"])
    p = {k: v for k, v in plan.params.items() if k not in ("officer_agency_ids", "industry_prefix", "rules_source")}
    # strata that must all be inspected within the year rotate: earlier draws of the year are skipped
    rotate = sorted(code for code, share in sampling().annual_minimum.items() if share >= 1.0)
    already: set[int] = set()
    for other in session.execute(select(Plan).where(
            Plan.agency_id == plan.agency_id, Plan.status == "drawn", Plan.id != plan.id,
            Plan.period_start >= date(plan.period_start.year, 1, 1), Plan.period_start < plan.period_start)).scalars():
        already |= {it["enterprise_id"] for it in (other.result or {}).get("items", []) if it["stratum"] in rotate}
    return {**p, "conflicts": conflicts, "previous": previous, "previous_plan": prev.id if prev else None,
            "rotate": rotate, "already_drawn": sorted(already & ent_ids)}


def draw(session: Session, actor: Actor, plan_id: int, seed: str, *, reason: str = "",
         due_days: int | None = None) -> Plan:
    require_role(actor, "admin", "leader")
    plan = get_plan(session, actor, plan_id)
    if not seed.strip():
        raise ValidationFailed("必须提供公开的随机种子", code="inspection.no_seed")
    if plan.status == "drawn":
        if not reason.strip():
            raise Conflict("该计划已抽取；重新抽取必须说明理由", code="inspection.already_drawn")
        done = session.execute(select(func.count()).select_from(Task).where(
            Task.plan_id == plan.id, Task.status == "submitted")).scalar_one()
        if done:
            raise Conflict(f"该计划已有 {done} 项检查提交记录，不能重新抽取", code="inspection.redraw_after_records")
        for t in session.execute(select(Task).where(Task.plan_id == plan.id)).scalars():
            session.delete(t)
        plan.redraws = [*plan.redraws, {"at": now().isoformat(), "by": actor.username, "reason": reason,
                                        "previous_result_hash": plan.result_hash, "previous_seed": plan.seed}]
    enterprises = _enterprise_snapshot(session, plan)
    officers = _officer_snapshot(session, plan)
    params = _draw_params(session, plan, enterprises, officers)
    try:
        result = run_draw(seed, enterprises, officers, params)
    except DrawError as exc:
        raise ValidationFailed(str(exc), code="inspection.draw_impossible") from exc
    plan.enterprises_hash = _freeze(session, "enterprises", enterprises)
    plan.officers_hash = _freeze(session, "officers", officers)
    plan.params_hash = sha256(params)
    plan.seed = seed
    plan.result = {**result.as_dict(), "params": params}
    plan.result_hash = result.hash
    plan.status = "drawn"
    plan.drawn_at = now()
    plan.drawn_by = actor.username
    due = plan.period_end if due_days is None else plan.period_start + timedelta(days=due_days)
    for it in result.items:
        session.add(Task(plan_id=plan.id, agency_id=plan.agency_id, enterprise_id=it["enterprise_id"],
                         source="routine", source_ref=f"计划 {plan.id}", stratum=it["stratum"],
                         officer_ids=it["officers"], due_date=due, status="open", created_at=now()))
    audit.record(session, actor, "inspection.plan.draw", "inspection_plan", plan.id, {
        "seed": seed, "enterprises_hash": plan.enterprises_hash, "officers_hash": plan.officers_hash,
        "params_hash": plan.params_hash, "result_hash": plan.result_hash, "drawn": len(result.items),
        "unassigned": len(result.unassigned), "reason": reason or None})
    session.flush()
    return plan


@dataclass
class Verification:
    plan_id: int
    ok: bool
    message: str


def verify(session: Session, plan: Plan) -> Verification:
    """Re-run the draw from the published inputs alone (snapshots by hash, parameters, seed)."""
    if plan.status != "drawn":
        return Verification(plan.id, False, "计划尚未抽取")
    snaps = {}
    for kind, h in (("enterprises", plan.enterprises_hash), ("officers", plan.officers_hash)):
        snap = session.get(Snapshot, h)
        if snap is None:
            return Verification(plan.id, False, f"{kind} 名录快照 {h[:12]} 缺失")
        content = json.loads(snap.content)
        if sha256(content) != h:
            return Verification(plan.id, False, f"{kind} 名录快照内容与其哈希 {h[:12]} 不符（被改动）")
        snaps[kind] = content
    params = plan.result.get("params") if plan.result else None
    if params is None or sha256(params) != plan.params_hash:
        return Verification(plan.id, False, "抽查参数与公布的参数哈希不符")
    try:
        again = run_draw(plan.seed, snaps["enterprises"], snaps["officers"], params)
    except DrawError as exc:
        return Verification(plan.id, False, f"无法复算：{exc}")
    if again.hash != plan.result_hash:
        return Verification(plan.id, False, f"复算结果哈希 {again.hash[:12]} 与公布的 {plan.result_hash[:12]} 不一致")
    stored = {k: v for k, v in plan.result.items() if k != "params"}
    if again.as_dict() != stored:
        return Verification(plan.id, False, "复算结果与保存的抽取结果不一致")
    tasks = {(t.enterprise_id, tuple(t.officer_ids)) for t in
             session.execute(select(Task).where(Task.plan_id == plan.id)).scalars()}
    if tasks != {(it["enterprise_id"], tuple(it["officers"])) for it in again.items}:
        return Verification(plan.id, False, "检查任务与抽取结果不一致（任务被改动）")
    return Verification(plan.id, True, f"复算一致：抽中 {len(again.items)} 家企业，结果哈希 {again.hash[:16]}")


def declare_conflict(session: Session, actor: Actor, officer_id: int, enterprise_id: int, reason: str) -> None:
    require_role(actor, "admin", "leader", "officer")
    if not reason.strip():
        raise ValidationFailed("回避须说明理由", code="inspection.no_reason")
    session.add(OfficerConflict(officer_id=officer_id, enterprise_id=enterprise_id, reason=reason,
                                declared_at=now()))
    audit.record(session, actor, "inspection.conflict.declare", "officer", officer_id,
                 {"enterprise_id": enterprise_id, "reason": reason})


# --- targeted tasks ----------------------------------------------------------------------

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


# --- on-site records ---------------------------------------------------------------------

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


# --- evidence: content-addressed, resumable ------------------------------------------------

def evidence_path(sha: str) -> Path:
    from ..settings import get_settings

    return get_settings().evidence_path / sha[:2] / sha


def _upload_tmp(upload_id: str) -> Path:
    from ..settings import get_settings

    return get_settings().evidence_path / "uploads" / upload_id


def start_upload(session: Session, actor: Actor, task: Task, *, sha256_hex: str, size: int, filename: str,
                 mime: str = "application/octet-stream", captured_at: datetime | None = None,
                 location: str = "") -> dict:
    """Begin or resume an upload. Returns {upload_id, received, done}."""
    require_role(actor, "officer", "leader", "admin")
    _editable(record_for(session, actor, task))
    sha = sha256_hex.lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValidationFailed("sha256 应为 64 位十六进制", code="inspection.bad_sha256")
    if size <= 0 or size > 512 * 1024 * 1024:
        raise ValidationFailed("文件大小应在 1 字节到 512 MiB 之间", code="inspection.bad_size")
    have = session.execute(select(Evidence).where(Evidence.task_id == task.id, Evidence.sha256 == sha)
                           ).scalar_one_or_none()
    if have is not None:
        return {"upload_id": None, "received": size, "done": True, "evidence_id": have.id}
    up = session.execute(select(Upload).where(Upload.task_id == task.id, Upload.sha256 == sha)).scalar_one_or_none()
    if up is None:
        up = Upload(id=uuid.uuid4().hex, task_id=task.id, sha256=sha, size=size, received=0, filename=filename[:200],
                    mime=mime[:100], captured_at=captured_at, location=location[:100], uploaded_by=actor.username,
                    created_at=now())
        session.add(up)
        session.flush()
    tmp = _upload_tmp(up.id)
    received = tmp.stat().st_size if tmp.exists() else 0
    up.received = min(received, up.size)
    return {"upload_id": up.id, "received": up.received, "done": False}


def put_chunk(session: Session, actor: Actor, upload_id: str, offset: int, data: bytes) -> dict:
    if offset < 0:
        raise ValidationFailed("上传偏移不能为负数", code="inspection.upload_offset")
    up = session.get(Upload, upload_id)
    if up is None:
        raise NotFound("上传会话不存在或已完成", code="inspection.upload_not_found")
    task = get_task(session, actor, up.task_id)
    _editable(record_for(session, actor, task))
    tmp = _upload_tmp(up.id)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    have = tmp.stat().st_size if tmp.exists() else 0
    if offset > have:
        raise Conflict(f"偏移 {offset} 超过已接收的 {have} 字节，请从 {have} 续传", code="inspection.upload_gap",
                       details={"received": have})
    data = data[have - offset:]                 # a re-sent chunk: keep only the new bytes
    if have + len(data) > up.size:
        raise ValidationFailed("上传内容超过声明的文件大小", code="inspection.upload_too_big")
    with open(tmp, "ab") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    up.received = have + len(data)
    if up.received < up.size:
        return {"upload_id": up.id, "received": up.received, "done": False}
    digest = hashlib.sha256()
    with open(tmp, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != up.sha256:
        tmp.unlink()
        up.received = 0
        raise ValidationFailed("文件 SHA-256 与声明不符，已丢弃，请重新上传", code="inspection.upload_hash_mismatch")
    final = evidence_path(up.sha256)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        tmp.unlink()
    else:
        os.replace(tmp, final)
    ev = Evidence(task_id=up.task_id, sha256=up.sha256, filename=up.filename, mime=up.mime, size=up.size,
                  captured_at=up.captured_at, location=up.location, uploaded_by=actor.username, uploaded_at=now())
    session.add(ev)
    session.delete(up)
    session.flush()
    audit.record(session, actor, "inspection.evidence.add", "inspection_task", up.task_id,
                 {"sha256": up.sha256, "filename": up.filename, "size": up.size})
    return {"upload_id": None, "received": up.size, "done": True, "evidence_id": ev.id}


# --- publication and statistics ----------------------------------------------------------

RESULT_TEXT = {False: "未发现环境违法问题", True: "发现环境违法问题，依法处理"}


def published_results(session: Session, *, agency_path: str = "/", limit: int = 5000) -> list[dict]:
    """Routine-draw results for the public: enterprise, date, matters, result. No personal data."""
    stmt = (select(Record, Task, Enterprise, Agency)
            .join(Task, Record.task_id == Task.id).join(Enterprise, Task.enterprise_id == Enterprise.id)
            .join(Agency, Enterprise.agency_id == Agency.id)
            .where(Record.status == "submitted", Task.source == "routine",
                   Agency.path.startswith(agency_path, autoescape=True))
            .order_by(Record.submitted_at.desc()).limit(limit))
    out = []
    for r, t, e, a in session.execute(stmt):
        items = checklist_for(e.industry_code).items
        out.append({"enterprise": e.name, "uscc": e.uscc, "agency": a.name, "plan_id": t.plan_id,
                    "checked_on": (r.checked_at or r.submitted_at).date().isoformat(),
                    "matters": "；".join(i.text for i in items if i.code in r.checklist),
                    "result": RESULT_TEXT[bool(r.violation)]})
    return out


def statistics(session: Session, actor: Actor, *, year: int) -> list[dict]:
    """Per county: plan completion, coverage, on-time upload share, findings per inspection."""
    rules = sampling()
    start, end = date(year, 1, 1), date(year, 12, 31)
    stmt = select(Agency).where(Agency.level == "county")
    if actor.agency_path != "/":
        stmt = stmt.where(Agency.path.startswith(actor.agency_path, autoescape=True))
    counties = list(session.execute(stmt.order_by(Agency.division_code)).scalars())
    tasks = session.execute(
        select(Task.agency_id, Task.source, Task.status, Task.enterprise_id, Record.submitted_at,
               Record.checked_at, Record.violation)
        .outerjoin(Record, Record.task_id == Task.id)
        .where(Task.due_date >= start, Task.due_date <= end + timedelta(days=92))).all()
    population = dict(session.execute(select(Enterprise.agency_id, func.count()).where(
        Enterprise.positive_list.is_(False)).group_by(Enterprise.agency_id)).all())
    rows = []
    for c in counties:
        mine = [t for t in tasks if t.agency_id == c.id]
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
    rules file's annual minimum (positive-list enterprises are outside routine coverage)."""
    from .draw import _matches

    rules = sampling()
    stmt = select(Enterprise).join(Agency, Enterprise.agency_id == Agency.id).where(
        Enterprise.positive_list.is_(False))
    if actor.agency_path != "/":
        stmt = stmt.where(Agency.path.startswith(actor.agency_path, autoescape=True))
    ents = session.execute(stmt).scalars().all()
    lo, hi = datetime(year, 1, 1, tzinfo=now().tzinfo), datetime(year + 1, 1, 1, tzinfo=now().tzinfo)
    inspected = set(session.execute(select(Task.enterprise_id).join(Record, Record.task_id == Task.id).where(
        Task.source == "routine", Record.status == "submitted", Record.checked_at >= lo, Record.checked_at < hi)
    ).scalars())
    remaining = [{"id": e.id, "key_polluter": e.key_polluter, "credit_class": e.credit_class} for e in ents]
    out = []
    for st in rules.strata:
        members = [e for e in remaining if _matches(e, st.match)]
        ids = {e["id"] for e in members}
        remaining = [e for e in remaining if e["id"] not in ids]
        done = len(ids & inspected)
        minimum = rules.annual_minimum.get(st.code)
        rate = _rate(done, len(ids))
        out.append({"code": st.code, "name": st.name, "population": len(ids), "inspected": done, "rate": rate,
                    "minimum": minimum, "met": rate is not None and minimum is not None and rate >= minimum})
    return out


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def quarter_bounds(year: int, q: int) -> tuple[date, date]:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = (date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1))
    return start, end

