"""Inspection plans (双随机 抽查计划): create, read, list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit
from ...core.auth import Actor, get_in_scope, require_role, scope
from ...core.errors import ValidationFailed
from ...core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ...core.timeutil import now
from ...registry import service as registry
from ...registry.models import Agency
from ..models import Plan
from .rules import MODES, sampling


def _agency(session: Session, actor: Actor, agency_id: int) -> Agency:
    return get_in_scope(session, actor, Agency, agency_id, what="机构", code="inspection.agency_not_found",
                        path=lambda a: a.path)


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
    rules = sampling(period_start)
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
    return get_in_scope(session, actor, Plan, plan_id, what="抽查计划", code="inspection.plan_not_found")


PLAN_STATUS = {"draft": "待抽取", "drawn": "已抽取"}

#: Sort keys of the plan list (newest period first by default).
PLAN_SORT = Sort(
    keys={"period": [Plan.period_start], "name": [Plan.name], "agency": [Agency.name], "mode": [Plan.mode],
          "status": [Plan.status], "drawn": [Plan.drawn_at]},
    default="-period", tiebreak=[Plan.id.desc()],
    labels={"period": "期间", "name": "计划", "agency": "机构", "mode": "方式", "status": "状态", "drawn": "抽取时间"})


def _plans_query(session: Session, actor: Actor, *, q: str = "", agency_id: int | None = None, year: int | None = None,
                 status: str = "", mode: str = ""):
    stmt = scope(select(Plan).join(Agency, Plan.agency_id == Agency.id), actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_search(stmt, q, Plan.name, Agency.name)
    if year:
        stmt = stmt.where(Plan.period_start >= date(year, 1, 1), Plan.period_start <= date(year, 12, 31))
    stmt = where_choice(stmt, Plan.status, status, PLAN_STATUS, "计划状态", "inspection.bad_status")
    stmt = where_choice(stmt, Plan.mode, mode, MODES, "抽查方式", "inspection.bad_mode")
    return stmt


def page_plans(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
               **filters) -> Page[Plan]:
    """One page of the plans the actor may see, with the total."""
    return page_of(session, _plans_query(session, actor, **filters), page, sort=PLAN_SORT, sort_value=sort)


def iter_plans(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Plan]:
    return iter_all(session, _plans_query(session, actor, **filters), sort=PLAN_SORT, sort_value=sort)


def list_plans(session: Session, actor: Actor, *, limit: int | None = None) -> list[Plan]:
    """Every plan the actor may see (newest period first), or the first ``limit``."""
    stmt = _plans_query(session, actor).order_by(*PLAN_SORT.order_by(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).scalars())
