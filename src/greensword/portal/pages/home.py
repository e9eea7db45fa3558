"""The portal's home page (环保e企管). For a firm: its monitoring points with status and the last
48 hours against the limits (chart), open warnings, open rectification items with deadlines, its
cases and served documents, credit class, study points and this period's self-check. For an
officer: the county's warnings (sent, answered in time, late, escalated), answers waiting for a
decision, overdue rectification items and self-check completion per county."""

from fastapi import APIRouter, Request
from sqlalchemy import select

from ...cases import queries as case_queries
from ...cases import service as cases
from ...core.pagination import PageParams
from ...core.timeutil import now
from ...hj212 import queries as hj212
from ...registry import service as registry
from ...registry.models import Enterprise, MonitoringPoint
from ...webkit.deps import DB, CurrentActor
from ...webkit.templating import NavItem, add_nav, render
from .. import credit, delivery, notify, queries, rectify, selfcheck, service, study, warnings

router = APIRouter(include_in_schema=False)
#: Rows each panel of the officers' overview shows (the rest: 共 N 条，查看全部 opens the list).
PANEL = 10
add_nav(NavItem("企业首页", "/portal", roles=("enterprise",), order=30),
        NavItem("环保e企管", "/portal", roles=("officer", "leader", "admin"), order=26))


def _exceeds(f, latest: dict | None) -> bool | None:
    if not latest or f.limit_value is None:
        return None
    v = latest["zs_value"] if f.corrected and latest.get("zs_value") is not None else latest["value"]
    if v is None:
        return None
    return v > f.limit_value or (f.limit_min is not None and v < f.limit_min)


def _points(db, enterprise_id: int) -> list[dict]:
    pts = list(db.execute(select(MonitoringPoint).where(MonitoringPoint.enterprise_id == enterprise_id,
                                                        MonitoringPoint.active.is_(True))
                          .order_by(MonitoringPoint.id)).scalars())
    status = hj212.point_status([p.mn for p in pts]) if pts else {}
    out = []
    for p in pts:
        st = status.get(p.mn)
        limited = [f for f in p.factors if f.limit_value is not None]
        series = hj212.recent_hours(p.mn, [f.factor_code for f in limited[:3]])
        out.append({"p": p, "st": st, "factors": [
            {"f": f, "name": hj212.factor_label(f.factor_code), "latest": (st.latest.get(f.factor_code) if st else None),
             "exceeds": _exceeds(f, st.latest.get(f.factor_code) if st else None)} for f in p.factors],
            "series": [{"name": hj212.factor_label(f.factor_code), "limit": f.limit_value,
                        "points": series.get(f.factor_code, [])} for f in limited[:3]]})
    return out


@router.get("/portal")
def home(request: Request, db: DB, actor: CurrentActor):
    if actor.is_enterprise:
        ent = db.get(Enterprise, actor.enterprise_id)
        rectify.sync_orders(db, actor.username, [ent.id])
        start, end, label, done = selfcheck.current(db, actor)
        return render(request, "portal/home.html", {
            "ent": ent, "points": _points(db, ent.id), "credit": registry.label("credit_classes", ent.credit_class),
            "warnings": warnings.list_warnings(db, actor, status="open"), "warning_status": warnings.STATUS,
            "overdue": warnings.overdue, "items": rectify.list_items(db, actor, status="open"),
            "item_status": rectify.STATUS, "item_overdue": rectify.is_overdue,
            "cases": cases.page_cases(db, actor, page=PageParams(size=PANEL)), "stages": case_queries.stage_names(),
            "unconfirmed": delivery.unconfirmed(db, ent.id), "balance": service.points_balance(db, actor),
            "period": (start, end, label, done), "unread": notify.unread(db, actor), "now": now(),
            "credit_record": credit.record(db, actor), "study_progress": study.progress(db, actor)})
    from ...core.auth import require_agency_user

    require_agency_user(actor, "企业端督办总览")
    panel = PageParams(size=PANEL)               # each panel's first rows; 共 N 条，查看全部 opens its list
    return render(request, "portal/officer.html", {
        "counts": queries.warning_counts(db, agency_path=actor.agency_path or "/"),
        "answered": warnings.page_warnings(db, actor, status="answered", page=panel),
        "unanswered": warnings.page_warnings(db, actor, overdue_at=now(), page=panel),
        "overdue_items": rectify.page_items(db, actor, overdue_only=True, page=panel),
        "reported": rectify.page_items(db, actor, status="reported", page=panel),
        "completion": selfcheck.completion(db, actor), "unread": notify.unread(db, actor),
        "item_status": rectify.STATUS, "kinds": rectify.KINDS, "today": now().date()})
