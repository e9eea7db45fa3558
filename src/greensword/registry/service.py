"""Registry service: the only way agencies, officers, enterprises and monitoring points change.

Every write checks the actor's role and jurisdiction, validates, and appends to the audit trail in
the same transaction. Readers in other domains use the ``get_*`` / ``list_*`` functions here.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from ..core import validators
from ..core.audit import record
from ..core.auth import Actor, check_agency, get_in_scope, require_role, scope
from ..core.errors import NotFound, PermissionDenied, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, page_of, search_clause, where_search
from ..core.timeutil import now
from . import rules
from .models import Agency, Enterprise, MonitoringPoint, Officer, PointFactor, PowerLink, new_device_password
from .rules import standards  # noqa: F401  (the demo and other domains read the profiles here)
from .schemas import AgencyIn, EnterpriseIn, OfficerIn, PointIn

OFFICER_ROLES = {"officer", "reviewer", "leader", "admin", "evaluator"}


_CLASSES: list = [None, None]          # [typed rules object, its dict form]


def classes() -> dict[str, dict[str, dict]]:
    """{'credit_classes': {'green': {...}}, 'key_polluter_categories': {...}, ...} from the typed
    rules file (registry/rules.py); built once per version of the file (read-only)."""
    typed = rules.classes()
    if _CLASSES[0] is not typed:
        _CLASSES[:] = [typed, {name: {v.code: v.model_dump() for v in getattr(typed, name).values}
                               for name in type(typed).model_fields}]
    return _CLASSES[1]


def label(kind: str, code: str) -> str:
    return classes().get(kind, {}).get(code, {}).get("name", code)


# --- state snapshots for the audit trail --------------------------------------------------------

def agency_state(a: Agency) -> dict:
    return {"division_code": a.division_code, "name": a.name, "level": a.level, "parent_id": a.parent_id,
            "path": a.path}


def officer_state(o: Officer) -> dict:
    return {"name": o.name, "agency_id": o.agency_id, "cert_no": o.cert_no, "roles": sorted(o.roles or []),
            "department": o.department, "active": o.active}


def enterprise_state(e: Enterprise) -> dict:
    return {"uscc": e.uscc, "name": e.name, "address": e.address, "agency_id": e.agency_id,
            "industry_code": e.industry_code, "key_polluter": e.key_polluter, "permit_no": e.permit_no,
            "permit_valid_until": e.permit_valid_until, "credit_class": e.credit_class,
            "positive_list": e.positive_list}


def point_state(p: MonitoringPoint) -> dict:
    return {"mn": p.mn, "enterprise_id": p.enterprise_id, "name": p.name, "kind": p.kind,
            "ref_o2_pct": p.ref_o2_pct, "active": p.active, "pw_set": bool(p.pw),
            "factors": [{"code": f.factor_code, "unit": f.unit, "limit": f.limit_value, "min": f.limit_min,
                         "corrected": f.corrected, "standard": f.standard} for f in p.factors]}


# --- agencies ------------------------------------------------------------------------------------

def agency_by_code(session: Session, code: str) -> Agency | None:
    return session.execute(select(Agency).where(Agency.division_code == code)).scalar_one_or_none()


def get_agency(session: Session, actor: Actor, agency_id: int) -> Agency:
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="registry.agency_not_found")
    if not (actor.covers(a.path) or (actor.agency_path or "").startswith(a.path)):
        # Users may see their own ancestors (for breadcrumbs) but not siblings' subtrees.
        check_agency(actor, a.path, "该机构")
    return a


def within_agency(session: Session, stmt, agency_id: int):
    """``stmt`` (joined to Agency) narrowed to the subtree of agency ``agency_id``: the county or
    city filter of a list, on top of the actor's own scope. An unknown id is a 404."""
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"单位 {agency_id} 不存在", code="registry.agency_not_found")
    return stmt.where(Agency.path.startswith(a.path, autoescape=True))


def _agencies_query(actor: Actor, level: str | None = None, parent_id: int | None = None, q: str = ""):
    stmt = scope(select(Agency), actor, Agency.path).order_by(Agency.division_code)
    if level:
        stmt = stmt.where(Agency.level == level)
    if parent_id is not None:
        stmt = stmt.where(Agency.parent_id == parent_id)
    return where_search(stmt, q, Agency.name, Agency.division_code)


def list_agencies(session: Session, actor: Actor, level: str | None = None,
                  parent_id: int | None = None) -> list[Agency]:
    return list(session.execute(_agencies_query(actor, level, parent_id)).scalars())


LIST_UNIT_LEVELS = ("province", "city", "county")


def _unit_levels(levels: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(levels) if levels else LIST_UNIT_LEVELS


def scope_units(session: Session, actor: Actor, levels: Iterable[str] | None = None) -> list[Agency]:
    """The province/city/county units of the actor's jurisdiction (or those of ``levels``), by
    division code (a list's unit filter, a form's unit picker)."""
    stmt = _agencies_query(actor).where(Agency.level.in_(_unit_levels(levels)))
    return list(session.execute(stmt).scalars())


def count_scope_units(session: Session, actor: Actor, levels: Iterable[str] | None = None) -> int:
    stmt = scope(select(func.count()).select_from(Agency), actor, Agency.path)
    return session.execute(stmt.where(Agency.level.in_(_unit_levels(levels)))).scalar_one()


def find_units(session: Session, actor: Actor, q: str, *, limit: int = 50,
               levels: Iterable[str] | None = None) -> list[Agency]:
    """The province/city/county units (or those of ``levels``) of the actor's jurisdiction whose
    name or division code contains ``q`` (a list's unit filter, typed), by division code, at most ``limit``."""
    stmt = _agencies_query(actor, q=q).where(Agency.level.in_(_unit_levels(levels)))
    return list(session.execute(stmt.limit(limit)).scalars())


def _levels_of(level: str | tuple[str, ...]) -> tuple[str, ...]:
    return (level,) if isinstance(level, str) else tuple(level)


def public_units(session: Session, q: str = "", *, level: str | tuple[str, ...] = "county",
                 limit: int | None = None) -> list[Agency]:
    """The units of one ``level`` (or of several) a public page names (its unit filter: the
    counties whose results are published; the public complaint form's cities and counties), by
    division code; ``q`` searches name and division code literally. Public: names and codes only,
    the same for everyone, no jurisdiction involved."""
    stmt = where_search(select(Agency).where(Agency.level.in_(_levels_of(level))).order_by(Agency.division_code), q,
                        Agency.name, Agency.division_code)
    return list(session.execute(stmt if limit is None else stmt.limit(limit)).scalars())


def count_units(session: Session, level: str | tuple[str, ...] = "county") -> int:
    stmt = select(func.count()).select_from(Agency).where(Agency.level.in_(_levels_of(level)))
    return session.execute(stmt).scalar_one()


#: Sorts of the agency list (by division code, i.e. as a tree, unless asked otherwise).
AGENCY_SORT = Sort(keys={"code": [Agency.division_code], "name": [Agency.name], "level": [Agency.level]},
                   default="code", tiebreak=[Agency.id],
                   labels={"code": "行政区划代码", "name": "机构名称", "level": "层级"})


def page_agencies(session: Session, actor: Actor, *, level: str | None = None, parent_id: int | None = None,
                  q: str = "", sort: str = "", page: PageParams | None = None) -> Page[Agency]:
    """One page of the agencies in the actor's jurisdiction (``level``: one of the agency levels;
    ``q`` searches name and division code literally), with the total; an unknown level is a 422."""
    if level and level not in classes()["agency_levels"]:
        raise ValidationFailed(f"未知的机构层级“{level[:20]}”", code="registry.bad_level")
    return page_of(session, _agencies_query(actor, level, parent_id, q), page, sort=AGENCY_SORT, sort_value=sort)


def _check_agency_fields(session: Session, data: AgencyIn, errors: list) -> Agency | None:
    levels = classes()["agency_levels"]
    try:
        validators.division_code(data.division_code)
    except ValidationFailed as e:
        errors.append(("division_code", e.message))
    if data.level not in levels:
        errors.append(("level", f"机构层级“{data.level}”无效，应为：{'、'.join(levels)}"))
    parent = None
    if data.parent_code:
        parent = agency_by_code(session, data.parent_code)
        if parent is None:
            errors.append(("parent_code", f"上级机构“{data.parent_code}”不存在"))
        elif data.level in levels and levels[parent.level]["depth"] + 1 != levels[data.level]["depth"]:
            errors.append(("level", f"{levels[data.level]['name']}机构不能直接隶属于{levels[parent.level]['name']}机构"))
    elif data.level != "ministry":
        errors.append(("parent_code", "除部级机构外必须填写上级机构"))
    return parent


def create_agency(session: Session, actor: Actor, data: AgencyIn) -> Agency:
    require_role(actor, "admin")
    errors: list = []
    parent = _check_agency_fields(session, data, errors)
    if agency_by_code(session, data.division_code):
        errors.append(("division_code", f"行政区划代码“{data.division_code}”已存在"))
    _raise(errors)
    if parent is not None:
        check_agency(actor, parent.path, "上级机构")
    elif actor.agency_path != "/":
        raise PermissionDenied("只有全国管理员可以创建部级机构", code="auth.out_of_jurisdiction")
    a = Agency(division_code=data.division_code, name=data.name, level=data.level,
               parent_id=parent.id if parent else None, path="", updated_at=now())
    session.add(a)
    session.flush()
    a.path = f"{parent.path if parent else '/'}{a.id}/"
    record(session, actor, "agency.create", "agency", a.id, agency_state(a))
    return a


# --- officers ------------------------------------------------------------------------------------

def _check_officer_fields(session: Session, data: OfficerIn, errors: list,
                          agencies: dict[str, Agency] | None = None) -> Agency | None:
    agency = agencies.get(data.agency_code) if agencies is not None else agency_by_code(session, data.agency_code)
    if agency is None:
        errors.append(("agency_code", f"所属机构“{data.agency_code}”不存在"))
    bad = [r for r in data.roles if r not in OFFICER_ROLES]
    if bad:
        errors.append(("roles", f"未知角色：{'、'.join(bad)}"))
    if data.cert_no is not None and data.cert_no.strip() == "":
        data.cert_no = None
    return agency


def get_officer(session: Session, actor: Actor, officer_id: int) -> Officer:
    return get_in_scope(session, actor, Officer, officer_id, what="执法人员", code="registry.officer_not_found")


#: Sort keys of the officer list (registration order by default).
OFFICER_SORT = Sort(keys={"id": [Officer.id], "name": [Officer.name], "agency": [Agency.division_code],
                          "cert": [Officer.cert_no], "active": [Officer.active]},
                    default="id", tiebreak=[Officer.id],
                    labels={"id": "登记顺序", "name": "姓名", "agency": "所属机构", "cert": "执法证号", "active": "状态"})
#: Sort keys of the enterprise list (registration order by default).
ENTERPRISE_SORT = Sort(keys={"id": [Enterprise.id], "name": [Enterprise.name], "uscc": [Enterprise.uscc],
                             "agency": [Agency.division_code], "industry": [Enterprise.industry_code],
                             "key": [Enterprise.key_polluter], "credit": [Enterprise.credit_class],
                             "positive": [Enterprise.positive_list]},
                       default="id", tiebreak=[Enterprise.id],
                       labels={"id": "登记顺序", "name": "企业名称", "uscc": "统一社会信用代码", "agency": "所属区县",
                               "industry": "行业", "key": "重点排污", "credit": "信用等级", "positive": "正面清单"})


def list_officers(session: Session, actor: Actor, *, agency_id: int | None = None, q: str | None = None,
                  active: bool | None = None, certified: bool | None = None,
                  page: PageParams | None = None, sort: str | None = None) -> Page[Officer]:
    return page_of(session, officers_query(session, actor, agency_id=agency_id, q=q, active=active,
                                           certified=certified), page, sort=OFFICER_SORT, sort_value=sort, unique=True)


def assignable_officers(session: Session, actor: Actor, agency_id: int) -> list[Officer]:
    """Every active officer with an enforcement certificate of unit ``agency_id`` (a task's team is
    picked among them), by name; only within the actor's jurisdiction, never cut."""
    stmt = scope(select(Officer).join(Agency, Officer.agency_id == Agency.id), actor, Agency.path)
    stmt = stmt.where(Officer.agency_id == agency_id, Officer.cert_no.is_not(None), Officer.active.is_(True))
    return list(session.execute(stmt.order_by(Officer.name, Officer.id)).scalars())


def officers_query(session: Session, actor: Actor, *, agency_id: int | None = None, q: str | None = None,
                   active: bool | None = None, certified: bool | None = None):
    """The officers of the actor's jurisdiction matching the filters (unordered select)."""
    stmt = scope(select(Officer).join(Agency, Officer.agency_id == Agency.id), actor, Agency.path)
    if agency_id is not None:
        a = get_agency(session, actor, agency_id)
        stmt = stmt.where(Agency.path.startswith(a.path, autoescape=True))
    stmt = where_search(stmt, q, Officer.name, Officer.cert_no)
    if active is not None:
        stmt = stmt.where(Officer.active == active)
    if certified is not None:
        stmt = stmt.where(Officer.cert_no.is_not(None) if certified else Officer.cert_no.is_(None))
    return stmt


def save_officer(session: Session, actor: Actor, data: OfficerIn, officer_id: int | None = None) -> Officer:
    """Create (officer_id None) or update an officer; the natural key for imports is cert_no."""
    require_role(actor, "admin")
    errors: list = []
    agency = _check_officer_fields(session, data, errors)
    if data.cert_no:
        other = session.execute(select(Officer).where(Officer.cert_no == data.cert_no)).scalar_one_or_none()
        if other is not None and other.id != officer_id:
            errors.append(("cert_no", f"执法证号“{data.cert_no}”已被{other.name}使用"))
    _raise(errors)
    check_agency(actor, agency.path, "所属机构")
    if officer_id is None:
        o = Officer(updated_at=now())
        session.add(o)
        action = "officer.create"
    else:
        o = get_officer(session, actor, officer_id)
        action = "officer.update"
    o.name, o.agency_id, o.cert_no = data.name, agency.id, data.cert_no
    o.roles, o.department, o.active = sorted(set(data.roles)), data.department, data.active
    o.updated_at = now()
    session.flush()
    session.refresh(o)
    record(session, actor, action, "officer", o.id, officer_state(o))
    return o


# --- enterprises ---------------------------------------------------------------------------------

def _check_enterprise_fields(session: Session, data: EnterpriseIn, errors: list,
                             agencies: dict[str, Agency] | None = None) -> Agency | None:
    """The field checks of one enterprise; ``agencies`` (division code → agency) spares a bulk
    import a query per row."""
    try:
        data.uscc = validators.uscc(data.uscc)
    except ValidationFailed as e:
        errors.append(("uscc", e.message))
    try:
        data.industry_code = validators.industry_code(data.industry_code)
    except ValidationFailed as e:
        errors.append(("industry_code", e.message))
    cls = classes()
    if data.credit_class not in cls["credit_classes"]:
        errors.append(("credit_class", f"环境信用等级“{data.credit_class}”无效，应为：{'、'.join(cls['credit_classes'])}"))
    if data.key_polluter not in cls["key_polluter_categories"]:
        errors.append(("key_polluter", f"重点排污单位类别“{data.key_polluter}”无效"))
    if data.permit_valid_until is not None and not data.permit_no:
        errors.append(("permit_no", "填写了排污许可有效期但缺少许可证编号"))
    agency = agencies.get(data.agency_code) if agencies is not None else agency_by_code(session, data.agency_code)
    if agency is None:
        errors.append(("agency_code", f"所属区县“{data.agency_code}”不存在"))
    elif agency.level != "county":
        errors.append(("agency_code", f"企业应归属到县级机构，“{agency.name}”不是县级"))
    return agency


def get_enterprise(session: Session, actor: Actor, enterprise_id: int) -> Enterprise:
    return get_in_scope(session, actor, Enterprise, enterprise_id, what="企业", code="registry.enterprise_not_found",
                        enterprise=lambda e: e.id)


def enterprise_by_uscc(session: Session, uscc: str) -> Enterprise | None:
    return session.execute(select(Enterprise).where(Enterprise.uscc == uscc.strip().upper())).scalar_one_or_none()


def find_enterprises(session: Session, actor: Actor, q: str, *, limit: int = 30) -> list[Enterprise]:
    """The enterprises of the actor's jurisdiction whose name or 统一社会信用代码 contains ``q``
    (an enterprise picker, typed), by name, at most ``limit``."""
    stmt = enterprises_query(session, actor, q=q.strip()) if q.strip() else None
    if stmt is None:
        return []
    return list(session.execute(stmt.order_by(Enterprise.name, Enterprise.id).limit(limit)).scalars())


def count_active_officers(session: Session, actor: Actor) -> int:
    """How many active officers the actor's jurisdiction has (a form's officer drop-down, or its search)."""
    stmt = officers_query(session, actor, active=True).with_only_columns(Officer.id)
    return session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def find_officers(session: Session, actor: Actor, q: str, *, limit: int = 50) -> list[Officer]:
    """The active officers of the actor's jurisdiction whose name or certificate number contains
    ``q`` (an officer picker, typed), by name, at most ``limit``."""
    if not q.strip():
        return []
    stmt = officers_query(session, actor, q=q.strip(), active=True)
    return list(session.execute(stmt.order_by(Officer.name, Officer.id).limit(limit)).scalars())


def list_enterprises(session: Session, actor: Actor, *, agency_id: int | None = None, q: str | None = None,
                     credit_class: str | None = None, key_polluter: str | None = None,
                     positive_list: bool | None = None, industry_prefix: str | None = None,
                     page: PageParams | None = None, sort: str | None = None) -> Page[Enterprise]:
    stmt = enterprises_query(session, actor, agency_id=agency_id, q=q, credit_class=credit_class,
                             key_polluter=key_polluter, positive_list=positive_list, industry_prefix=industry_prefix)
    return page_of(session, stmt, page, sort=ENTERPRISE_SORT, sort_value=sort, unique=True)


def enterprises_query(session: Session, actor: Actor, *, agency_id: int | None = None, q: str | None = None,
                      credit_class: str | None = None, key_polluter: str | None = None,
                      positive_list: bool | None = None, industry_prefix: str | None = None):
    """The enterprises of the actor's jurisdiction matching the filters (unordered select)."""
    stmt = scope(select(Enterprise).join(Agency, Enterprise.agency_id == Agency.id), actor, Agency.path,
                 Enterprise.id)
    if agency_id is not None:
        a = get_agency(session, actor, agency_id)
        stmt = stmt.where(Agency.path.startswith(a.path, autoescape=True))
    if q:
        stmt = stmt.where(or_(search_clause(q, Enterprise.name), search_clause(q.upper(), Enterprise.uscc)))
    if credit_class:
        stmt = stmt.where(Enterprise.credit_class == credit_class)
    if key_polluter is not None:
        stmt = stmt.where(Enterprise.key_polluter == key_polluter)
    if positive_list is not None:
        stmt = stmt.where(Enterprise.positive_list == positive_list)
    if industry_prefix:
        stmt = stmt.where(Enterprise.industry_code.startswith(industry_prefix.upper()))
    return stmt


def save_enterprise(session: Session, actor: Actor, data: EnterpriseIn,
                    enterprise_id: int | None = None) -> Enterprise:
    require_role(actor, "admin")
    errors: list = []
    agency = _check_enterprise_fields(session, data, errors)
    if not errors:
        other = enterprise_by_uscc(session, data.uscc)
        if other is not None and other.id != enterprise_id:
            errors.append(("uscc", f"统一社会信用代码“{data.uscc}”已登记为“{other.name}”"))
    _raise(errors)
    check_agency(actor, agency.path, "所属区县")
    if enterprise_id is None:
        e = Enterprise(updated_at=now())
        session.add(e)
        action = "enterprise.create"
    else:
        e = get_enterprise(session, actor, enterprise_id)
        check_agency(actor, e.agency.path, "该企业")
        action = "enterprise.update"
    for field in ("uscc", "name", "address", "industry_code", "key_polluter", "permit_no", "permit_valid_until",
                  "credit_class", "positive_list"):
        setattr(e, field, getattr(data, field))
    e.agency_id = agency.id
    e.updated_at = now()
    session.flush()
    session.refresh(e)
    record(session, actor, action, "enterprise", e.id, enterprise_state(e))
    return e


def set_positive_list(session: Session, actor: Actor, enterprise_id: int, on_list: bool, *, reason: str,
                      by_system: bool = False) -> Enterprise:
    """Put a firm on the 正面清单 (screened off-site instead of drawn for routine inspection) or take
    it off, with the reason (the portal's approval, a penalty, a confirmed lead). Officers of the
    firm's county and above; ``by_system`` for the automatic removal on a penalty."""
    if not by_system:
        require_role(actor, "officer", "leader", "admin")
    e = get_enterprise(session, actor, enterprise_id)
    if not actor.is_enterprise:
        check_agency(actor, e.agency.path, "该企业")
    if not reason.strip():
        raise ValidationFailed("调整正面清单须说明理由", code="registry.no_reason")
    if e.positive_list == on_list:
        return e
    e.positive_list = on_list
    e.updated_at = now()
    session.flush()
    record(session, actor, "enterprise.positive_list", "enterprise", e.id,
           {**enterprise_state(e), "reason": reason.strip()})
    return e


# --- monitoring points ---------------------------------------------------------------------------

def _check_point_fields(session: Session, data: PointIn, errors: list,
                        enterprises: dict[str, Enterprise] | None = None) -> Enterprise | None:
    """The field checks of one point; ``enterprises`` (USCC → enterprise) spares a bulk import a
    query per point."""
    try:
        data.mn = validators.mn(data.mn)
    except ValidationFailed as e:
        errors.append(("mn", e.message))
    if data.kind not in classes()["point_kinds"]:
        errors.append(("kind", f"监测点类型“{data.kind}”无效，应为 gas/water/noise/power"))
    if data.kind != "gas" and data.ref_o2_pct is not None:
        errors.append(("ref_o2_pct", "只有废气监测点可设置基准氧含量"))
    if data.ref_o2_pct is not None and not 0 <= data.ref_o2_pct < 21:
        errors.append(("ref_o2_pct", f"基准氧含量 {data.ref_o2_pct}% 不在 0–21% 之间"))
    seen = set()
    for f in data.factors:
        if f.factor_code in seen:
            errors.append(("factor_code", f"监测因子“{f.factor_code}”重复"))
        seen.add(f.factor_code)
        if f.limit_value is not None and f.limit_value < 0:
            errors.append(("limit_value", f"因子{f.factor_code}的限值不能为负数"))
        if f.limit_min is not None and f.limit_value is not None and f.limit_min > f.limit_value:
            errors.append(("limit_min", f"因子{f.factor_code}的下限大于上限"))
        if (f.limit_value is not None or f.limit_min is not None) and not f.standard:
            errors.append(("standard", f"因子{f.factor_code}设置了限值，必须注明执行标准"))
        if f.corrected and data.ref_o2_pct is None:
            errors.append(("corrected", f"因子{f.factor_code}按折算值判定，但监测点未设置基准氧含量"))
    ent = None
    try:
        code = validators.uscc(data.enterprise_uscc)
        ent = enterprises.get(code) if enterprises is not None else enterprise_by_uscc(session, code)
        if ent is None:
            errors.append(("enterprise_uscc", f"企业“{data.enterprise_uscc}”未登记"))
    except ValidationFailed as e:
        errors.append(("enterprise_uscc", e.message))
    return ent


def point_by_mn(session: Session, mn: str) -> MonitoringPoint | None:
    """System lookup (gateway, detectors): no jurisdiction check."""
    return session.execute(select(MonitoringPoint).where(MonitoringPoint.mn == mn)).scalar_one_or_none()


def get_point(session: Session, actor: Actor, point_id: int) -> MonitoringPoint:
    return get_in_scope(session, actor, MonitoringPoint, point_id, what="监测点", code="registry.point_not_found",
                        path=lambda p: p.enterprise.agency.path, enterprise=lambda p: p.enterprise_id)


def list_points(session: Session, actor: Actor, *, agency_id: int | None = None, enterprise_id: int | None = None,
                kind: str | None = None, q: str | None = None, page: PageParams | None = None
                ) -> Page[MonitoringPoint]:
    stmt = scope(
        select(MonitoringPoint).join(Enterprise, MonitoringPoint.enterprise_id == Enterprise.id)
        .join(Agency, Enterprise.agency_id == Agency.id),
        actor, Agency.path, MonitoringPoint.enterprise_id,
    )
    if agency_id is not None:
        a = get_agency(session, actor, agency_id)
        stmt = stmt.where(Agency.path.startswith(a.path, autoescape=True))
    if enterprise_id is not None:
        stmt = stmt.where(MonitoringPoint.enterprise_id == enterprise_id)
    if kind:
        stmt = stmt.where(MonitoringPoint.kind == kind)
    stmt = where_search(stmt, q, MonitoringPoint.mn, Enterprise.name)
    return _page(session, stmt.order_by(MonitoringPoint.id), page)


def save_point(session: Session, actor: Actor, data: PointIn, point_id: int | None = None) -> MonitoringPoint:
    require_role(actor, "admin")
    errors: list = []
    ent = _check_point_fields(session, data, errors)
    if not errors:
        other = point_by_mn(session, data.mn)
        if other is not None and other.id != point_id:
            errors.append(("mn", f"监测点编码“{data.mn}”已被占用"))
    _raise(errors)
    check_agency(actor, ent.agency.path, "该企业")
    if point_id is None:
        p = MonitoringPoint(updated_at=now())
        session.add(p)
        action = "point.create"
    else:
        p = get_point(session, actor, point_id)
        action = "point.update"
    p.mn, p.enterprise_id, p.name, p.kind = data.mn, ent.id, data.name, data.kind
    p.pw = data.pw or p.pw or new_device_password()
    p.ref_o2_pct, p.active = data.ref_o2_pct, data.active
    p.factors = [PointFactor(position=i, **f.model_dump()) for i, f in enumerate(data.factors)]
    p.updated_at = now()
    session.flush()
    session.refresh(p)
    record(session, actor, action, "point", p.id, point_state(p))
    return p


def set_point_password(session: Session, actor: Actor, mn: str, pw: str | None = None) -> str:
    """Set (or generate) a point's HJ 212 access password; returns it. The audit entry says that
    it changed, never the password itself."""
    require_role(actor, "admin")
    p = point_by_mn(session, mn)
    if p is None:
        raise NotFound(f"监测点名录中没有设备 MN={mn}", code="registry.unknown_mn")
    pw = pw or new_device_password()
    if len(pw) > 32 or any(c in pw for c in ";=,&\r\n"):
        raise ValidationFailed("访问密码最长 32 位，且不能含 ; = , & 或换行", code="registry.bad_pw")
    p.pw, p.updated_at = pw, now()
    session.flush()
    record(session, actor, "point.password", "point", p.id, {"mn": mn, "pw": "已更换"})
    return pw


def limits_table(session: Session, mns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Flat (mn, factor, limit, limit_min, unit, ref_o2, corrected, standard) rows: what the
    off-site detectors and the limits.csv of ad-hoc screening carry."""
    f = PointFactor
    stmt = select(MonitoringPoint.mn, MonitoringPoint.ref_o2_pct, f.factor_code, f.limit_value, f.limit_min, f.unit,
                  f.corrected, f.standard).join(f, f.point_id == MonitoringPoint.id)
    if mns is not None:
        stmt = stmt.where(MonitoringPoint.mn.in_(list(mns)))
    return [{"mn": mn, "factor": code, "limit": limit, "limit_min": limit_min, "unit": unit,
             "ref_o2": ref_o2 if corrected else None, "corrected": corrected, "standard": standard}
            for mn, ref_o2, code, limit, limit_min, unit, corrected, standard
            in session.execute(stmt.order_by(MonitoringPoint.mn, f.factor_code))]


POWER_ROLES = {"production": "生产设施用电", "treatment": "治污设施用电"}


def power_links(session: Session, actor: Actor, point_id: int) -> list[PowerLink]:
    get_point(session, actor, point_id)
    return list(session.execute(select(PowerLink).where(PowerLink.point_id == point_id)
                                .order_by(PowerLink.role, PowerLink.id)).scalars())


def link_power_meter(session: Session, actor: Actor, point_id: int, meter_mn: str, factor_code: str,
                     role: str) -> PowerLink:
    """Link a power meter reading to the emission point it explains (same enterprise)."""
    require_role(actor, "admin")
    point = get_point(session, actor, point_id)
    errors: list = []
    if point.kind not in ("gas", "water"):
        errors.append(("point", "只有废气、废水排放监测点可以关联用电监控"))
    if role not in POWER_ROLES:
        errors.append(("role", f"用途“{role}”无效，应为 {'/'.join(POWER_ROLES)}"))
    meter = point_by_mn(session, (meter_mn or "").strip())
    if meter is None:
        errors.append(("meter_mn", f"用电监控点“{meter_mn}”未登记"))
    else:
        if meter.kind != "power":
            errors.append(("meter_mn", f"监测点“{meter.mn}”不是用电监控点"))
        if meter.enterprise_id != point.enterprise_id:
            errors.append(("meter_mn", "用电监控点与排放监测点不属于同一企业"))
        if factor_code not in {f.factor_code for f in meter.factors}:
            errors.append(("factor_code", f"用电监控点“{meter.mn}”没有监测因子“{factor_code}”"))
        elif session.execute(select(PowerLink).where(PowerLink.point_id == point.id, PowerLink.meter_id == meter.id,
                                                     PowerLink.factor_code == factor_code)).first():
            errors.append(("factor_code", "该用电监控因子已关联到本监测点"))
    _raise(errors)
    link = PowerLink(point_id=point.id, meter_id=meter.id, factor_code=factor_code, role=role, created_at=now())
    session.add(link)
    session.flush()
    record(session, actor, "point.power_link", "point", point.id,
           {"meter": meter.mn, "factor": factor_code, "role": role, "link_id": link.id})
    return link


def unlink_power_meter(session: Session, actor: Actor, link_id: int) -> None:
    require_role(actor, "admin")
    link = session.get(PowerLink, link_id)
    if link is None:
        raise NotFound(f"用电关联 {link_id} 不存在", code="registry.power_link_not_found")
    get_point(session, actor, link.point_id)
    state = {"meter": link.meter.mn, "factor": link.factor_code, "role": link.role, "link_id": link.id}
    session.delete(link)
    session.flush()
    record(session, actor, "point.power_unlink", "point", link.point_id, state)


def power_links_by_mn(session: Session, mns: Iterable[str] | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """System lookup for the off-site detectors: emission point MN → [(meter MN, factor, role)]."""
    point = aliased(MonitoringPoint)
    stmt = select(point.mn, MonitoringPoint.mn, PowerLink.factor_code, PowerLink.role).join(
        point, point.id == PowerLink.point_id).join(MonitoringPoint, MonitoringPoint.id == PowerLink.meter_id)
    if mns is not None:
        stmt = stmt.where(point.mn.in_(list(mns)))
    out: dict[str, list[tuple[str, str, str]]] = {}
    for p_mn, m_mn, factor, role in session.execute(stmt.order_by(point.mn, PowerLink.id)):
        out.setdefault(p_mn, []).append((m_mn, factor, role))
    return out


def counts(session: Session, actor: Actor) -> dict[str, int]:
    """Directory sizes within the actor's jurisdiction (home page)."""
    out = {}
    out["agencies"] = session.execute(scope(select(func.count()).select_from(Agency), actor, Agency.path)).scalar_one()
    out["officers"] = list_officers(session, actor, page=PageParams(size=1)).total
    out["enterprises"] = list_enterprises(session, actor, page=PageParams(size=1)).total
    out["points"] = list_points(session, actor, page=PageParams(size=1)).total
    return out


# --- helpers -------------------------------------------------------------------------------------

def _raise(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise ValidationFailed("；".join(msg for _, msg in errors), code="registry.invalid",
                               details=[{"column": c, "reason": r} for c, r in errors])


def _page(session: Session, stmt, page: PageParams | None) -> Page:
    page = page or PageParams()
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = list(session.execute(stmt.offset(page.offset).limit(page.size)).unique().scalars())
    return Page(items=items, total=total, page=page.page, size=page.size)
