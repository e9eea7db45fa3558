"""Rectification items (整改): created from case orders (责令改正, 限产停产 rectification plans,
按日连续处罚 re-inspection; read through cases.queries), inspection findings (inspection.queries),
self-check findings and a warning the firm admitted; the firm reports progress with evidence; the
officer verifies and closes or returns the report; overdue items escalate (flag + notifications).
Every write is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases import queries as cases
from ..core import audit
from ..core.auth import Actor, get_in_scope, require_role, scope
from ..core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.timeutil import now
from ..inspection import queries as inspection
from ..registry.models import Agency, Enterprise
from . import rules, uploads
from .models.rectification import Rectification, RectificationReport
from .notify import notify

KINDS = {"correction": "责令改正", "rectification_plan": "限产停产整治方案报送", "reinspection": "按日连续处罚复查前改正",
         "inspection": "现场检查发现问题整改", "selfcheck": "自查发现问题整改", "warning": "预警提醒承诺整改"}
SOURCES = {"case": "行政处罚案件", "inspection": "现场检查", "selfcheck": "企业自查", "warning": "预警提醒"}
STATUS = {"open": "整改中", "reported": "已报告待核查", "closed": "已核查销号"}
REPORT_KINDS = {"report": "企业报告整改进展", "return": "执法人员退回", "close": "执法人员核查销号"}


def state(r: Rectification) -> dict:
    return {"enterprise": r.enterprise_id, "source": r.source_ref, "kind": r.kind, "due": r.due_on.isoformat(),
            "status": r.status, "escalated": r.escalated}


def create(session: Session, actor: Actor | str, *, enterprise: Enterprise, source: str, source_ref: str, kind: str,
           title: str, due_on: date, detail: str = "", case_id: int | None = None,
           at: datetime | None = None) -> Rectification:
    """A new item, or the existing one for the same ``source_ref`` (creating twice is harmless)."""
    found = session.execute(select(Rectification).where(Rectification.source_ref == source_ref)).scalar_one_or_none()
    if found is not None:
        return found
    return _add(session, actor, [dict(enterprise=enterprise, source=source, source_ref=source_ref, kind=kind,
                                      title=title, due_on=due_on, detail=detail, case_id=case_id, at=at)])[0]


def _add(session: Session, actor: Actor | str, items: list[dict]) -> list[Rectification]:
    """New items (``create``'s arguments; their ``source_ref``s known to be new) with one flush:
    each audited and notified to its firm."""
    rows = [Rectification(enterprise_id=x["enterprise"].id, agency_id=x["enterprise"].agency_id, source=x["source"],
                          source_ref=x["source_ref"], kind=x["kind"], title=x["title"][:300], detail=x["detail"],
                          created_at=x["at"] or now(), due_on=x["due_on"], status="open", escalated=False,
                          case_id=x["case_id"]) for x in items]
    if not rows:
        return rows
    session.add_all(rows)
    session.flush()
    audit.record_many(session, actor, "portal.rectification.create",
                      [("portal_rectification", r.id, state(r)) for r in rows])
    for r in rows:
        notify(session, audience="enterprise", enterprise_id=r.enterprise_id, agency_id=r.agency_id,
               title=f"新的整改事项：{KINDS.get(r.kind, r.kind)}", body=f"{r.title}（期限 {r.due_on.isoformat()}）",
               link=f"/portal/rectifications/{r.id}", at=r.created_at)
    return rows


def get_item(session: Session, actor: Actor, item_id: int) -> Rectification:
    return get_in_scope(session, actor, Rectification, item_id, what="整改事项", code="portal.rectification_not_found",
                        path=lambda r: r.agency.path, enterprise=lambda r: r.enterprise_id)


#: Sort keys of the rectification list: open items by deadline first (the default), or one column.
ITEM_SORT = Sort(
    keys={"due": lambda desc: [Rectification.status == "closed",
                               Rectification.due_on.desc() if desc else Rectification.due_on.asc()],
          "created": [Rectification.created_at], "enterprise": [Enterprise.name], "status": [Rectification.status],
          "source": [Rectification.source]},
    default="due", tiebreak=[Rectification.id],
    labels={"due": "期限", "created": "下达时间", "enterprise": "企业", "status": "状态", "source": "来源"})


def _items_query(session: Session, actor: Actor, *, status: str = "", overdue_only: bool = False,
                 agency_id: int | None = None, source: str = "", kind: str = "", escalated: bool = False,
                 q: str = ""):
    from ..registry import service as registry

    stmt = scope(select(Rectification).join(Agency, Rectification.agency_id == Agency.id)
                 .join(Enterprise, Rectification.enterprise_id == Enterprise.id), actor, Agency.path,
                 Rectification.enterprise_id)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if status == "open":
        stmt = stmt.where(Rectification.status != "closed")
    else:
        stmt = where_choice(stmt, Rectification.status, status, STATUS, "整改状态", "portal.bad_status")
    stmt = where_choice(stmt, Rectification.source, source, SOURCES, "整改来源", "portal.bad_source")
    stmt = where_choice(stmt, Rectification.kind, kind, KINDS, "整改类别", "portal.bad_kind")
    if overdue_only:
        stmt = stmt.where(Rectification.status != "closed", Rectification.due_on < now().date())
    if escalated:
        stmt = stmt.where(Rectification.escalated.is_(True))
    stmt = where_search(stmt, q, Rectification.title, Enterprise.name, Enterprise.uscc)
    return stmt


def page_items(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
               **filters) -> Page[Rectification]:
    """One page of the rectification items the actor may see (open ones by deadline unless ``sort``)."""
    return page_of(session, _items_query(session, actor, **filters), page, sort=ITEM_SORT, sort_value=sort)


def iter_items(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Rectification]:
    return iter_all(session, _items_query(session, actor, **filters), sort=ITEM_SORT, sort_value=sort)


def list_items(session: Session, actor: Actor, *, status: str = "", overdue_only: bool = False,
               agency_id: int | None = None, limit: int = 200) -> list[Rectification]:
    """The first ``limit`` items of the filters (panels; the list page pages)."""
    return page_items(session, actor, status=status, overdue_only=overdue_only, agency_id=agency_id,
                      page=PageParams(size=max(1, min(limit, 500)))).items


def is_overdue(r: Rectification, today: date | None = None) -> bool:
    return r.status != "closed" and r.due_on < (today or now().date())


def reports(session: Session, r: Rectification) -> list[RectificationReport]:
    return list(session.execute(select(RectificationReport).where(RectificationReport.item_id == r.id)
                                .order_by(RectificationReport.at, RectificationReport.id)).scalars())


def report(session: Session, actor: Actor, item_id: int, text: str, files: list[uploads.Upload], *,
           at: datetime | None = None) -> Rectification:
    """The firm reports progress (or completion) with evidence; the item waits for the officer."""
    r = get_item(session, actor, item_id)
    if not actor.is_enterprise:
        raise PermissionDenied("整改进展由企业用户报告", code="portal.enterprise_only")
    if r.status == "closed":
        raise IllegalTransition("该整改事项已核查销号，不能再报告", code="portal.rectification_closed")
    if not (text or "").strip():
        raise ValidationFailed("请填写整改措施和完成情况", code="portal.no_report_text")
    stored = uploads.store(files)
    if not stored:
        raise ValidationFailed("请上传整改前后的照片或证明材料（至少一份）", code="portal.no_evidence")
    t = at or now()
    session.add(RectificationReport(item_id=r.id, kind="report", text=text.strip(), files=stored,
                                    by=actor.username, at=t))
    r.status = "reported"
    audit.record(session, actor, "portal.rectification.report", "portal_rectification", r.id,
                 {**state(r), "files": [f["sha256"] for f in stored]})
    notify(session, audience="agency", enterprise_id=r.enterprise_id, agency_id=r.agency_id,
           title=f"{r.enterprise.name}报告整改进展" + ("（已逾期）" if r.due_on < t.date() else ""),
           body=r.title, link=f"/portal/rectifications/{r.id}", at=t)
    return r


def verify(session: Session, actor: Actor, item_id: int, *, close: bool, note: str = "",
           at: datetime | None = None) -> Rectification:
    """The officer closes the item (verified) or returns the report for more work."""
    require_role(actor, "officer", "leader", "admin")
    r = get_item(session, actor, item_id)
    if r.status != "reported":
        raise IllegalTransition(f"整改事项处于“{STATUS[r.status]}”状态，企业报告整改后才能核查",
                                code="portal.rectification_not_reported")
    if not close and not note.strip():
        raise ValidationFailed("退回须写明理由", code="portal.no_return_reason")
    t = at or now()
    session.add(RectificationReport(item_id=r.id, kind="close" if close else "return", text=note.strip(),
                                    files=[], by=actor.username, at=t))
    if close:
        r.status, r.closed_at, r.closed_by = "closed", t, actor.username
    else:
        r.status = "open"
    audit.record(session, actor, f"portal.rectification.{'close' if close else 'return'}", "portal_rectification",
                 r.id, {**state(r), "note": note})
    notify(session, audience="enterprise", enterprise_id=r.enterprise_id, agency_id=r.agency_id,
           title=("整改事项已核查销号：" if close else "整改报告被退回：") + r.title[:80], body=note,
           link=f"/portal/rectifications/{r.id}", at=t)
    return r


def escalate(session: Session, actor: Actor | str, today: date | None = None) -> list[Rectification]:
    """Flag the items overdue beyond the rules' grace, once each, and tell the firm and the county."""
    today = today or now().date()
    grace = rules.rectification().escalate_after_days
    rows = session.execute(select(Rectification).where(
        Rectification.status != "closed", Rectification.escalated.is_(False),
        Rectification.due_on < today - timedelta(days=grace))).scalars().all()
    for r in rows:
        r.escalated, r.escalated_at = True, now()
        audit.record(session, actor, "portal.rectification.escalate", "portal_rectification", r.id, state(r))
        days = (today - r.due_on).days
        for audience in ("enterprise", "agency"):
            notify(session, audience=audience, enterprise_id=r.enterprise_id, agency_id=r.agency_id,
                   title=f"整改逾期 {days} 天：{r.title[:80]}",
                   body=f"{r.enterprise.name}，期限 {r.due_on.isoformat()}，{STATUS[r.status]}",
                   link=f"/portal/rectifications/{r.id}")
    return list(rows)


def sync_orders(session: Session, actor: Actor | str, enterprise_ids: list[int] | None = None) -> int:
    """Items for case orders and inspection findings not yet in the portal (idempotent); returns
    how many were created. The firm's portal pages call it for one firm on every visit: only that
    firm's items are read, and the new ones are written together."""
    rr = rules.rectification()
    ents: dict[int, Enterprise] = {}

    def ent(eid: int) -> Enterprise:
        if eid not in ents:
            ents[eid] = session.get(Enterprise, eid)
        return ents[eid]

    refs = select(Rectification.source_ref)
    if enterprise_ids is not None:   # a ref names a case or record of one firm: that firm's items
        refs = refs.where(Rectification.enterprise_id.in_(set(enterprise_ids)))
    have = set(session.execute(refs).scalars())
    new: list[dict] = []

    def add(ref: str, **item) -> None:
        if ref not in have:
            have.add(ref)
            new.append(dict(item, source_ref=ref, at=None))

    for o in cases.orders(session, enterprise_ids):
        add(f"case:{o.case_id}:{o.kind}:{o.ref}", enterprise=ent(o.enterprise_id), source="case", kind=o.kind,
            title=f"{KINDS[o.kind]}（案件 {o.number}）", detail=o.detail,
            due_on=o.due_on or (o.started_on + timedelta(days=rr.correction_days)), case_id=o.case_id)
    for p in inspection.problems(session, enterprise_ids):
        add(f"inspection:{p.record_id}:{p.item_code}", enterprise=ent(p.enterprise_id), source="inspection",
            kind="inspection", title=f"现场检查发现问题：{p.item_text}", detail=p.findings,
            due_on=p.checked_on + timedelta(days=rr.inspection_due_days), case_id=None)
    if new and enterprise_ids is not None:   # a record or case moved to another firm keeps its item
        taken = set(session.execute(select(Rectification.source_ref).where(
            Rectification.source_ref.in_([x["source_ref"] for x in new]))).scalars())
        new = [x for x in new if x["source_ref"] not in taken]
    return len(_add(session, actor, new))
