"""The plan's draw: frozen directory snapshots, the reproducible draw, its verification, and
officer conflicts of interest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, require_role
from ...core.canonical import canonical_json, sha256_hex
from ...core.errors import Conflict, ValidationFailed
from ...core.timeutil import now
from ...registry.models import Agency, Enterprise, Officer
from ..draw import DrawError, run_draw
from ..models import OfficerConflict, Plan, Snapshot, Task
from .plans import get_plan
from .rules import sampling


def _enterprise_snapshot(session: Session, plan: Plan) -> list[dict]:
    stmt = (select(Enterprise.id, Enterprise.uscc, Enterprise.key_polluter, Enterprise.credit_class,
                   Enterprise.positive_list, Enterprise.industry_code)
            .where(Enterprise.agency_id.in_(select(Agency.id).where(Agency.path.startswith(plan.agency.path,
                                                                                         autoescape=True)))))
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


def _canonical(content) -> tuple[str, str]:
    """The canonical JSON of a draw input and its hash (as ``sha256_hex(content)``), encoded once."""
    text = canonical_json(content)
    return text, hashlib.sha256(text.encode()).hexdigest()


def _freeze(session: Session, kind: str, text: str, h: str) -> str:
    if session.execute(select(Snapshot.hash).where(Snapshot.hash == h)).first() is None:   # not its content
        session.add(Snapshot(hash=h, kind=kind, content=text, created_at=now()))
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
    rotate = sorted(code for code, share in sampling(plan.period_start).annual_minimum.items() if share >= 1.0)
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
    ent_text, ent_hash = _canonical(enterprises)     # hashed once: for the draw and for publication
    off_text, off_hash = _canonical(officers)
    par_hash = sha256_hex(params)
    try:
        result = run_draw(seed, enterprises, officers, params, input_hashes=(ent_hash, off_hash, par_hash))
    except DrawError as exc:
        raise ValidationFailed(str(exc), code="inspection.draw_impossible") from exc
    plan.enterprises_hash = _freeze(session, "enterprises", ent_text, ent_hash)
    plan.officers_hash = _freeze(session, "officers", off_text, off_hash)
    plan.params_hash = par_hash
    plan.seed = seed
    plan.result = {**result.as_dict(), "params": params}
    plan.result_hash = result.hash
    plan.status = "drawn"
    plan.drawn_at = now()
    plan.drawn_by = actor.username
    due = plan.period_end if due_days is None else plan.period_start + timedelta(days=due_days)
    if result.items:                             # one multi-row INSERT (a plan has hundreds of tasks)
        at = now()
        session.execute(insert(Task), [
            {"plan_id": plan.id, "agency_id": plan.agency_id, "enterprise_id": it["enterprise_id"],
             "source": "routine", "source_ref": f"计划 {plan.id}", "stratum": it["stratum"],
             "officer_ids": it["officers"], "due_date": due, "status": "open", "created_at": at}
            for it in result.items])
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
        if sha256_hex(content) != h:
            return Verification(plan.id, False, f"{kind} 名录快照内容与其哈希 {h[:12]} 不符（被改动）")
        snaps[kind] = content
    params = plan.result.get("params") if plan.result else None
    if params is None or sha256_hex(params) != plan.params_hash:
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
