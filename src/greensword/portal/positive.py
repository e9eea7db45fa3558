"""正面清单 (rules/portal/positive.yaml): firms apply (or officers propose them) with the criteria
checked from the records; an officer approves or rejects with reasons; approval sets the
registry's ``positive_list`` flag, which the double-random draw already excludes (positive-list
firms are screened off-site instead). A penalty decision removes a firm automatically; a lead
confirmed by screening puts it up for review (removed, or kept with a reason)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cases import queries as case_queries
from ..core import audit
from ..core.auth import Actor, require_role, scope
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.rules import Source, load, register
from ..core.timeutil import TZ, now
from ..offsite import queries as offsite_queries
from ..registry import service as registry
from ..registry.models import Agency, Enterprise, MonitoringPoint
from . import uploads
from .models.positive import PositiveListing


class Criteria(BaseModel):
    penalty_free_years: int
    penalty_free_source: Source
    credit_classes: list[str]
    credit_source: Source
    monitoring_for_key_polluters: bool
    monitoring_source: Source
    valid_permit: bool
    permit_source: Source
    no_open_case: bool
    open_case_source: Source


class Removal(BaseModel):
    automatic: list[str]
    on_review: list[str]
    source: Source


class PositiveRules(BaseModel):
    source: Source
    criteria: Criteria
    removal: Removal


register("portal/positive.yaml", PositiveRules)

STATUS = {"pending": "待审核", "listed": "已纳入", "rejected": "未纳入", "review": "待复核（发现问题线索）",
          "removed": "已移出"}
ACTIVE = ("pending", "listed", "review")
ORIGINS = {"application": "企业申请", "proposal": "执法人员推荐", "registry": "名录登记"}


def rules() -> PositiveRules:
    return load("portal/positive.yaml", PositiveRules)


@dataclass
class Check:
    code: str
    label: str
    ok: bool
    detail: str


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def check_criteria(session: Session, e: Enterprise, on: date) -> list[Check]:
    """Each criterion of the rules file, judged from the records on ``on``."""
    c = rules().criteria
    out = []
    since = _years_before(on, c.penalty_free_years)
    recent = [p for p in case_queries.penalties(session, enterprise_id=e.id) if p.decided_on >= since]
    out.append(Check("penalty_free", f"近{c.penalty_free_years}年内未受到生态环境行政处罚", not recent,
                     "；".join(f"{p.number}（{p.decided_on}）" for p in recent) or f"{since} 以来无处罚决定"))
    label = registry.label("credit_classes", e.credit_class)
    out.append(Check("credit", "环境信用评价良好", e.credit_class in c.credit_classes, f"当前：{label}"))
    if c.monitoring_for_key_polluters and e.key_polluter:
        n = session.execute(select(func.count()).select_from(MonitoringPoint).where(
            MonitoringPoint.enterprise_id == e.id, MonitoringPoint.active.is_(True))).scalar_one()
        out.append(Check("monitoring", "重点排污单位已安装自动监控并联网（具备非现场检查条件）", n > 0,
                         f"联网监测点 {n} 个"))
    if c.valid_permit:
        if e.permit_no:
            ok = e.permit_valid_until is None or e.permit_valid_until >= on
            out.append(Check("permit", "依法持证排污（排污许可证在有效期内）", ok,
                             f"{e.permit_no}，有效期至 {e.permit_valid_until or '—'}"))
        elif e.key_polluter:
            out.append(Check("permit", "依法持证排污（排污许可证在有效期内）", False, "重点排污单位未登记排污许可证"))
    if c.no_open_case:
        n = case_queries.open_case_count(session, e.id)
        out.append(Check("open_case", "没有未结的行政处罚案件", n == 0, f"未结案件 {n} 件"))
    return out


def _state(x: PositiveListing) -> dict:
    return {col.name: (v.isoformat() if hasattr(v := getattr(x, col.name), "isoformat") else v)
            for col in x.__table__.columns}


def current(session: Session, enterprise_id: int) -> PositiveListing | None:
    return session.execute(select(PositiveListing).where(PositiveListing.enterprise_id == enterprise_id)
                           .order_by(PositiveListing.id.desc())).scalars().first()


def current_of(session: Session, enterprise_ids: list[int]) -> dict[int, PositiveListing | None]:
    """``current`` of each firm, in one query per 500 firms."""
    out: dict[int, PositiveListing | None] = dict.fromkeys(enterprise_ids)
    ids = sorted(set(enterprise_ids))
    for k in range(0, len(ids), 500):
        for x in session.execute(select(PositiveListing).where(PositiveListing.enterprise_id.in_(ids[k:k + 500]))
                                 .order_by(PositiveListing.id)).scalars():
            out[x.enterprise_id] = x                # the last (highest id) wins, as in current()
    return out


def _new(session: Session, actor: Actor, e: Enterprise, origin: str, statement: str, files: list, on: date
         ) -> PositiveListing:
    cur = current(session, e.id)
    if e.positive_list:
        raise Conflict("该企业已在正面清单中", code="portal.already_listed")
    if cur is not None and cur.status in ACTIVE:
        raise Conflict("该企业已有待审核的正面清单申请", code="portal.listing_pending")
    if not statement.strip():
        raise ValidationFailed("须说明申请（推荐）纳入正面清单的理由", code="portal.no_statement")
    checks = check_criteria(session, e, on)
    x = PositiveListing(enterprise_id=e.id, agency_id=e.agency_id, origin=origin, statement=statement.strip()[:4000],
                        evidence=uploads.store(files) if files else [], criteria=[asdict(c) for c in checks],
                        applied_by=actor.username, applied_on=on, applied_at=now(), status="pending",
                        decision_reason="", review_trigger="", removal_reason="", removal_trigger="")
    session.add(x)
    session.flush()
    audit.record(session, actor, f"portal.positive.{origin}", "portal_positive_listing", x.id, _state(x))
    return x


def apply(session: Session, actor: Actor, *, statement: str, files: list[uploads.Upload] | None = None,
          on: date | None = None) -> PositiveListing:
    """The firm applies (its own data decides whether the criteria are met)."""
    if not actor.is_enterprise or actor.enterprise_id is None:
        raise PermissionDenied("正面清单申请由企业提交，执法人员请使用“推荐纳入”", code="portal.enterprise_only")
    e = registry.get_enterprise(session, actor, actor.enterprise_id)
    return _new(session, actor, e, "application", statement, files or [], on or now().date())


def propose(session: Session, actor: Actor, enterprise_id: int, *, statement: str,
            on: date | None = None) -> PositiveListing:
    require_role(actor, "officer", "leader")
    e = registry.get_enterprise(session, actor, enterprise_id)
    return _new(session, actor, e, "proposal", statement, [], on or now().date())


def _get(session: Session, actor: Actor, listing_id: int) -> PositiveListing:
    x = session.get(PositiveListing, listing_id)
    if x is None or (actor.is_enterprise and actor.enterprise_id != x.enterprise_id):
        raise NotFound(f"正面清单记录 {listing_id} 不存在", code="portal.listing_not_found")
    registry.get_enterprise(session, actor, x.enterprise_id)          # jurisdiction
    return x


def decide(session: Session, actor: Actor, listing_id: int, *, approve: bool, reason: str,
           on: date | None = None) -> PositiveListing:
    """Approve (every criterion met on the day) or reject, with reasons."""
    require_role(actor, "leader", "officer")
    x = _get(session, actor, listing_id)
    if x.status != "pending":
        raise Conflict("该申请已处理", code="portal.listing_decided")
    if not reason.strip():
        raise ValidationFailed("须写明审核意见", code="portal.no_reason")
    on = on or now().date()
    e = registry.get_enterprise(session, actor, x.enterprise_id)
    checks = check_criteria(session, e, on)
    x.criteria = [asdict(c) for c in checks]
    failed = [c for c in checks if not c.ok]
    if approve and failed:
        raise ValidationFailed("不符合正面清单纳入条件：" + "；".join(f"{c.label}（{c.detail}）" for c in failed),
                               code="portal.criteria_not_met")
    x.status = "listed" if approve else "rejected"
    x.decided_by, x.decided_on, x.decision_reason = actor.username, on, reason.strip()
    if approve:
        registry.set_positive_list(session, actor, e.id, True, reason=f"纳入正面清单：{reason.strip()}")
    audit.record(session, actor, f"portal.positive.{x.status}", "portal_positive_listing", x.id, _state(x))
    return x


def remove(session: Session, actor: Actor, listing_id: int, *, reason: str, on: date | None = None,
           trigger: str = "manual") -> PositiveListing:
    require_role(actor, "leader", "officer", "admin")
    x = _get(session, actor, listing_id)
    if x.status not in ("listed", "review"):
        raise Conflict("该企业不在正面清单中", code="portal.not_listed")
    if not reason.strip():
        raise ValidationFailed("移出正面清单须说明理由", code="portal.no_reason")
    x.status, x.removed_by, x.removed_on = "removed", actor.username, on or now().date()
    x.removal_reason, x.removal_trigger = reason.strip(), trigger
    registry.set_positive_list(session, actor, x.enterprise_id, False, reason=f"移出正面清单：{reason.strip()}")
    audit.record(session, actor, "portal.positive.remove", "portal_positive_listing", x.id, _state(x))
    return x


def keep(session: Session, actor: Actor, listing_id: int, *, reason: str) -> PositiveListing:
    """After review of a confirmed lead: the firm stays listed, with the reason."""
    require_role(actor, "leader", "officer")
    x = _get(session, actor, listing_id)
    if x.status != "review":
        raise Conflict("该企业没有待复核的线索", code="portal.not_in_review")
    if not reason.strip():
        raise ValidationFailed("保留在正面清单须说明理由", code="portal.no_reason")
    x.status = "listed"
    x.decision_reason = f"{x.decision_reason}\n复核保留（{x.review_trigger}）：{reason.strip()}".strip()
    audit.record(session, actor, "portal.positive.keep", "portal_positive_listing", x.id, _state(x))
    return x


def _listing_for_flagged(session: Session, actor: Actor, e: Enterprise, on: date) -> PositiveListing:
    """The listing record of a flagged firm (one listed before the portal gets a record)."""
    x = current(session, e.id)
    if x is not None and x.status in ("listed", "review"):
        return x
    x = PositiveListing(enterprise_id=e.id, agency_id=e.agency_id, origin="registry", statement="",
                        evidence=[], criteria=[], applied_by="registry", applied_on=on, applied_at=now(),
                        status="listed", decided_by="registry", decided_on=None,
                        decision_reason="名录登记为正面清单企业", review_trigger="", removal_reason="",
                        removal_trigger="")
    session.add(x)
    session.flush()
    return x


def sweep(session: Session, actor: Actor, *, on: date | None = None) -> dict[str, int]:
    """Apply the removal rules to the positive-list firms in the actor's area: a penalty decided
    since listing (or within the penalty-free window for firms listed before the portal) removes
    the firm; a lead confirmed since then puts it up for review. Returns the counts."""
    require_role(actor, "leader", "officer", "admin")
    on = on or now().date()
    r = rules()
    flagged = list(session.execute(scope(select(Enterprise).join(Agency, Enterprise.agency_id == Agency.id)
                                         .where(Enterprise.positive_list.is_(True)), actor, Agency.path)).scalars())
    if not flagged:
        return {"removed": 0, "review": 0}
    window = _years_before(on, r.criteria.penalty_free_years)
    listings = current_of(session, [e.id for e in flagged])

    def since(eid: int) -> date:
        x = listings.get(eid)
        return x.decided_on if x is not None and x.status in ("listed", "review") and x.decided_on else window

    removed = review = 0
    penalised: dict[int, case_queries.PenaltyRef] = {}
    if "penalty" in r.removal.automatic:
        decided = case_queries.penalties_by_firm(session, [e.id for e in flagged])
        for e in flagged:
            hits = [p for p in decided.get(e.id, []) if p.decided_on >= since(e.id)]
            if hits:
                penalised[e.id] = hits[-1]
    for e in flagged:
        p = penalised.get(e.id)
        if p is None:
            continue
        x = _listing_for_flagged(session, actor, e, on)
        remove(session, actor, x.id, on=on, trigger=f"penalty:{p.id}",
               reason=f"受到生态环境行政处罚（{p.number}，{p.decided_on}），自动移出")
        removed += 1
    if "confirmed_lead" in r.removal.on_review:
        rest = [e for e in flagged if e.id not in penalised]
        earliest = min((since(e.id) for e in rest), default=on)
        hits: dict[int, tuple[int, datetime]] = {}
        for lead_id, eid, at in offsite_queries.confirmed_leads(session, [e.id for e in rest],
                                                               datetime.combine(earliest, time(0), TZ)):
            if at.astimezone(TZ).date() >= since(eid):
                hits[eid] = (lead_id, at)
        for e in rest:
            if e.id not in hits:
                continue
            x = _listing_for_flagged(session, actor, e, on)
            trigger = f"lead:{hits[e.id][0]}"
            if x.status == "listed" and trigger not in (x.decision_reason or "") and x.review_trigger != trigger:
                x.status, x.review_trigger = "review", trigger
                audit.record(session, actor, "portal.positive.review", "portal_positive_listing", x.id, _state(x))
                review += 1
    return {"removed": removed, "review": review}


#: The management list's status tabs: one status, or a group of them.
GROUPS = {"open": ("pending", "review"), "closed": ("removed", "rejected")}
GROUP_NAMES = {"open": "待处理（待审核与待复核）", "closed": "已移出/未纳入"}

#: Sort keys of the management list (newest application first by default).
LISTING_SORT = Sort(
    keys={"applied": [PositiveListing.applied_on], "decided": [PositiveListing.decided_on],
          "removed": [PositiveListing.removed_on], "enterprise": [Enterprise.name], "status": [PositiveListing.status],
          "agency": [Agency.division_code]},
    default="-applied", tiebreak=[PositiveListing.id.desc()],
    labels={"applied": "申请日期", "decided": "决定日期", "removed": "移出日期", "enterprise": "企业", "status": "状态",
            "agency": "属地"})


def _listings_query(session: Session, actor: Actor, *, status: str = "", q: str = "", agency_id: int | None = None,
                    origin: str = ""):
    """The listings the actor may see (a firm its own), narrowed by the list's filters: a status or
    group of them (``GROUPS``), a search of the firm's name and code and the statement, the unit,
    the origin; an unknown status or origin is a 422 naming it."""
    stmt = scope(select(PositiveListing).join(Agency, PositiveListing.agency_id == Agency.id)
                 .join(Enterprise, PositiveListing.enterprise_id == Enterprise.id), actor, Agency.path,
                 PositiveListing.enterprise_id)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if status in GROUPS:
        stmt = stmt.where(PositiveListing.status.in_(GROUPS[status]))
    else:
        stmt = where_choice(stmt, PositiveListing.status, status, STATUS, "正面清单状态", "portal.bad_status")
    stmt = where_choice(stmt, PositiveListing.origin, origin, ORIGINS, "来源", "portal.bad_origin")
    return where_search(stmt, q, Enterprise.name, Enterprise.uscc, PositiveListing.statement)


def page_listings(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                  **filters) -> Page[PositiveListing]:
    """One page of the listings of the filters (newest application first unless ``sort``), with the total."""
    return page_of(session, _listings_query(session, actor, **filters), page, sort=LISTING_SORT, sort_value=sort)


def iter_listings(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[PositiveListing]:
    """Every listing of the filters in the list's order, read in batches (exports, the demo)."""
    return iter_all(session, _listings_query(session, actor, **filters), sort=LISTING_SORT, sort_value=sort)


def status_counts(session: Session, actor: Actor, *, q: str = "", agency_id: int | None = None,
                  origin: str = "") -> dict[str, int]:
    """How many listings of each status (and group, and ``all``) the filters other than status hold (the tabs)."""
    stmt = _listings_query(session, actor, q=q, agency_id=agency_id, origin=origin)
    rows = session.execute(stmt.with_only_columns(PositiveListing.status, func.count())
                           .group_by(PositiveListing.status).order_by(None)).all()
    out = {k: 0 for k in STATUS}
    out.update({k: n for k, n in rows})
    out.update({g: sum(out[k] for k in ks) for g, ks in GROUPS.items()})
    out["all"] = sum(out[k] for k in STATUS)
    return out


def listings(session: Session, actor: Actor, *, status: str | None = None) -> list[PositiveListing]:
    """Every listing of a status (or all) the actor may see, newest first."""
    return list(iter_listings(session, actor, status=status or ""))


def counts(session: Session, start: date, end: date) -> dict[int, dict[str, int]]:
    """Per agency id: firms listed and removed from ``start`` to ``end`` (statistics)."""
    out: dict[int, dict[str, int]] = {}
    for col, key in ((PositiveListing.decided_on, "listed"), (PositiveListing.removed_on, "removed")):
        stmt = select(PositiveListing.agency_id, func.count()).where(col >= start, col <= end)
        if key == "listed":
            stmt = stmt.where(PositiveListing.status.in_(("listed", "review", "removed")),
                              PositiveListing.origin != "registry")
        for aid, n in session.execute(stmt.group_by(PositiveListing.agency_id)):
            out.setdefault(aid, {"listed": 0, "removed": 0})[key] += n
    return out
