"""The enterprise's environmental credit record and 信用修复 (rules/portal/credit.yaml).

Every penalty decision (from ``cases.queries.penalties``) is an entry of the firm's record, classed
轻微/一般/严重 and published from its decision date for the minimum to the maximum period of the
version in force. After the minimum period, with the fine paid, the case closed and its
rectification items (portal.rectify) verified and closed, the firm applies with evidence and a credit commitment; the deciding agency
reviews within the review period (working days); the outcome is recorded and audited, and the
public disclosure shows the decision as 已信用修复."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..cases import queries as case_queries
from ..cases import service as cases
from ..core import audit
from ..core.auth import Actor, require_role, scope
from ..core.calendar import add_days, add_months
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, page_of, where_choice, where_search
from ..core.rules import Dated, Source, Version, load, register
from ..core.timeutil import now
from ..registry import service as registry
from ..registry.models import Agency, Enterprise
from . import rectify
from . import uploads as files
from .models.credit import CreditRepair
from .models.rectification import Rectification


class Severity(BaseModel):
    label: str
    min_months: int
    max_months: int
    published: bool


class CreditVersion(Version):
    severities: dict[str, Severity]
    review_working_days: int
    review_source: Source


class Classification(BaseModel):
    source: Source
    minor_summary_procedure: bool
    minor_max_fine: int
    serious_min_fine: int
    serious_measures: list[str]


class Commitment(BaseModel):
    source: Source
    text: str


class CreditRules(BaseModel):
    versions: Dated[CreditVersion]
    classification: Classification
    commitment: Commitment


register("portal/credit.yaml", CreditRules, since=date(2023, 5, 1))

STATUS = {"pending": "审核中", "approved": "已信用修复", "rejected": "不予修复"}


def rules() -> CreditRules:
    return load("portal/credit.yaml", CreditRules)


def severity(p: case_queries.PenaltyRef) -> str:
    c = rules().classification
    if p.fine >= c.serious_min_fine or set(p.measures) & set(c.serious_measures):
        return "serious"
    if (c.minor_summary_procedure and p.summary) or p.fine <= c.minor_max_fine:
        return "minor"
    return "general"


@dataclass
class Entry:
    """One penalty decision on the firm's credit record, with what the repair needs."""
    penalty: case_queries.PenaltyRef
    severity: str
    label: str
    published: bool
    min_end: date
    max_end: date
    paid: bool
    closed: bool
    repair: CreditRepair | None
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.repair is not None and self.repair.status == "approved":
            return "已信用修复"
        if self.repair is not None and self.repair.status == "pending":
            return "修复审核中"
        return "公示中" if self.published else "不予公示"

    @property
    def can_apply(self) -> bool:
        return not self.missing


def _version(on: date) -> CreditVersion:
    return rules().versions.on(on)


def _open_rectifications(session: Session, case_ids: list[int]) -> dict[int, int]:
    """case id → rectification items from that case not yet verified and closed."""
    out: dict[int, int] = {}
    ids = {int(c) for c in case_ids}
    if not ids:
        return out
    ordered = sorted(ids)
    for k in range(0, len(ordered), 200):       # one query per 200 cases (a firm has a few)
        for ref in session.execute(select(Rectification.source_ref).where(
                Rectification.source == "case", Rectification.status != "closed",
                or_(*(Rectification.source_ref.like(f"case:{cid}:%") for cid in ordered[k:k + 200])))).scalars():
            cid = int(ref.split(":")[1])
            out[cid] = out.get(cid, 0) + 1
    return out


def _entry(p: case_queries.PenaltyRef, repair: CreditRepair | None, today: date, open_items: int = 0) -> Entry:
    sev = severity(p)
    s = _version(today).severities[sev]
    e = Entry(p, sev, s.label, s.published, add_months(p.decided_on, s.min_months),
              add_months(p.decided_on, s.max_months), paid=p.owed <= 0 or p.paid_on is not None,
              closed=p.stage in ("closed", "archived"), repair=repair)
    if repair is not None and repair.status in ("pending", "approved"):
        e.missing.append("已申请" if repair.status == "pending" else "已修复")
    if today < e.min_end:
        e.missing.append(f"最短公示期至 {e.min_end} 届满")
    if today >= e.max_end:
        e.missing.append(f"最长公示期已于 {e.max_end} 届满，已停止公示，无需修复")
    if not e.paid:
        e.missing.append("罚款尚未缴清")
    if not e.closed:
        e.missing.append("案件尚未结案（整改、履行未完成）")
    if open_items:
        e.missing.append(f"尚有 {open_items} 项整改未经核查销号")
    return e


def _latest_repairs(session: Session, case_ids: list[int]) -> dict[int, CreditRepair]:
    out: dict[int, CreditRepair] = {}
    if case_ids:
        for r in session.execute(select(CreditRepair).where(CreditRepair.case_id.in_(case_ids))
                                 .order_by(CreditRepair.id)).scalars():
            out[r.case_id] = r
    return out


def record(session: Session, actor: Actor, enterprise_id: int | None = None, *,
           today: date | None = None) -> list[Entry]:
    """The firm's credit record (an enterprise user: its own; an officer: a firm in his area)."""
    today = today or now().date()
    if actor.is_enterprise:
        enterprise_id = actor.enterprise_id
    elif enterprise_id is None:
        raise ValidationFailed("须指定企业", code="portal.no_enterprise")
    registry.get_enterprise(session, actor, enterprise_id)         # scope
    rectify.sync_orders(session, "system", [enterprise_id])       # the case orders as rectification items
    found = case_queries.penalties(session, enterprise_id=enterprise_id)
    repairs = _latest_repairs(session, [p.id for p in found])
    items = _open_rectifications(session, [p.id for p in found])
    return sorted((_entry(p, repairs.get(p.id), today, items.get(p.id, 0)) for p in found), key=lambda e: e.penalty.decided_on,
                  reverse=True)


def _state(r: CreditRepair) -> dict:
    return {c.name: (v.isoformat() if hasattr(v := getattr(r, c.name), "isoformat") else v)
            for c in r.__table__.columns}


def apply(session: Session, actor: Actor, case_id: int, *, explanation: str, commitment: bool,
          uploads: list[files.Upload], on: date | None = None) -> CreditRepair:
    """The firm applies to repair the record of one penalty decision."""
    if not actor.is_enterprise or actor.enterprise_id is None:
        raise PermissionDenied("信用修复由企业申请", code="portal.enterprise_only")
    on = on or now().date()
    found = case_queries.penalties(session, case_ids=[case_id])
    if not found or found[0].enterprise_id != actor.enterprise_id:
        raise NotFound("本企业没有该行政处罚记录", code="portal.penalty_not_found")
    p = found[0]
    rectify.sync_orders(session, "system", [p.enterprise_id])
    e = _entry(p, _latest_repairs(session, [p.id]).get(p.id), on, _open_rectifications(session, [p.id]).get(p.id, 0))
    if e.missing:
        raise ValidationFailed(f"暂不能申请信用修复：{'；'.join(e.missing)}"
                               f"（{_version(on).source.title}）", code="portal.repair_not_eligible")
    r = rules()
    if not commitment:
        raise ValidationFailed(f"须作出信用承诺（{r.commitment.source.title}：{r.commitment.source.article}）",
                               code="portal.no_commitment")
    if not explanation.strip():
        raise ValidationFailed("须说明履行处罚决定和整改的情况", code="portal.no_explanation")
    stored = files.store(uploads)
    if not stored:
        raise ValidationFailed("须上传履行和整改的证明材料（如缴款凭证、整改照片）", code="portal.no_evidence")
    rep = CreditRepair(enterprise_id=p.enterprise_id, case_id=p.id, agency_id=p.agency_id, severity=e.severity,
                       explanation=explanation.strip()[:4000], commitment=r.commitment.text, evidence=stored,
                       applied_by=actor.username, applied_on=on, applied_at=now(),
                       review_due=add_days(on, _version(on).review_working_days, "working"), status="pending",
                       decision_reason="")
    session.add(rep)
    session.flush()
    audit.record(session, actor, "portal.credit.apply", "portal_credit_repair", rep.id, _state(rep))
    return rep


def get_repair(session: Session, actor: Actor, repair_id: int) -> CreditRepair:
    r = session.get(CreditRepair, repair_id)
    if r is None or (actor.is_enterprise and actor.enterprise_id != r.enterprise_id):
        raise NotFound(f"信用修复申请 {repair_id} 不存在", code="portal.repair_not_found")
    if not actor.is_enterprise:
        cases.get_case(session, actor, r.case_id)                   # jurisdiction
    return r


def review(session: Session, actor: Actor, repair_id: int, *, approve: bool, reason: str,
           on: date | None = None) -> CreditRepair:
    """The deciding agency's decision (谁认定、谁修复); a refusal states its reasons."""
    require_role(actor, "leader", "officer")
    r = get_repair(session, actor, repair_id)
    if r.status != "pending":
        raise Conflict("该申请已审核", code="portal.repair_decided")
    if actor.agency_id != r.agency_id:
        raise PermissionDenied("信用修复由作出处罚决定的机关审核（谁认定、谁修复）", code="portal.not_deciding_agency")
    on = on or now().date()
    if on < r.applied_on:
        raise ValidationFailed("审核日期不能早于申请日期", code="portal.bad_date")
    if not reason.strip():
        raise ValidationFailed("须写明审核意见（不予修复的须说明理由）", code="portal.no_reason")
    r.status = "approved" if approve else "rejected"
    r.reviewed_by, r.reviewed_on, r.decision_reason = actor.username, on, reason.strip()
    audit.record(session, actor, f"portal.credit.{r.status}", "portal_credit_repair", r.id, _state(r))
    return r


#: Sort keys of the review list (oldest application first by default: the review clock runs).
REPAIR_SORT = Sort(
    keys={"applied": [CreditRepair.applied_on], "due": [CreditRepair.review_due], "enterprise": [Enterprise.name],
          "status": [CreditRepair.status], "reviewed": [CreditRepair.reviewed_on]},
    default="applied", tiebreak=[CreditRepair.id],
    labels={"applied": "申请日期", "due": "审核期限", "enterprise": "企业", "status": "状态", "reviewed": "审核日期"})


def page_reviews(session: Session, actor: Actor, *, status: str = "pending", q: str = "",
                 agency_id: int | None = None, sort: str = "", page: PageParams | None = None) -> Page[dict]:
    """One page of the applications to agencies in the actor's jurisdiction (the deciding agency's
    subtree — filtered in the query, so none is hidden behind another county's), each with its case."""
    require_role(actor, "leader", "officer", "admin")
    stmt = scope(select(CreditRepair).join(Agency, CreditRepair.agency_id == Agency.id)
                 .join(Enterprise, CreditRepair.enterprise_id == Enterprise.id), actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_choice(stmt, CreditRepair.status, status, STATUS, "申请状态", "portal.bad_status")
    stmt = where_search(stmt, q, Enterprise.name, Enterprise.uscc)
    p = page_of(session, stmt, page, sort=REPAIR_SORT, sort_value=sort)
    rows = []
    for r in p.items:
        try:
            rows.append({"repair": r, "case": cases.get_case(session, actor, r.case_id)})
        except (NotFound, PermissionDenied):
            rows.append({"repair": r, "case": None})
    p.items = rows
    return p


def reviews(session: Session, actor: Actor, *, status: str | None = "pending", limit: int = 200) -> list[dict]:
    """The first ``limit`` applications of a status (oldest first), with the case."""
    return page_reviews(session, actor, status=status or "", page=PageParams(size=max(1, min(limit, 500)))).items


def repaired_cases(session: Session, case_ids: list[int]) -> dict[int, date]:
    """case id → date repaired, for the decisions among ``case_ids`` whose credit was repaired
    (public disclosure marks them 已信用修复)."""
    if not case_ids:
        return {}
    return {cid: on for cid, on in session.execute(select(CreditRepair.case_id, CreditRepair.reviewed_on).where(
        CreditRepair.case_id.in_(case_ids), CreditRepair.status == "approved"))}


def counts(session: Session, start: date, end: date) -> dict[int, dict[str, int]]:
    """Per deciding agency id: applications, approvals, refusals and reviews late, from ``start`` to
    ``end`` (statistics)."""
    out: dict[int, dict[str, int]] = {}

    def add(agency_id: int, key: str, n: int) -> None:
        out.setdefault(agency_id, {"applied": 0, "approved": 0, "rejected": 0, "late": 0})[key] += n

    for aid, n in session.execute(select(CreditRepair.agency_id, func.count()).where(
            CreditRepair.applied_on >= start, CreditRepair.applied_on <= end).group_by(CreditRepair.agency_id)):
        add(aid, "applied", n)
    for r in session.execute(select(CreditRepair).where(CreditRepair.reviewed_on >= start,
                                                        CreditRepair.reviewed_on <= end)).scalars():
        add(r.agency_id, r.status, 1)
        if r.reviewed_on > r.review_due:
            add(r.agency_id, "late", 1)
    return out
