"""Inspection plans (双随机 抽查计划): create, read, list."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, check_agency, require_role
from ...core.errors import NotFound, ValidationFailed
from ...core.timeutil import now
from ...registry.models import Agency
from ..models import Plan
from .rules import MODES, sampling


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
