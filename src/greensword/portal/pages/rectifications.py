"""Rectification pages: the firm's items with deadlines and its progress reports (with evidence);
the officer's list (overdue and escalated flagged), verification and closing."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...core.errors import DomainError, NotFound
from ...core.pagination import PageParams
from ...core.timeutil import now
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.listing import List
from ...webkit.templating import NavItem, add_nav, render
from .. import rectify as service
from ._forms import download, export, files_of, stamp, units_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("整改督办", "/portal/rectifications", roles=("enterprise",), order=43))


def _filters(args, status, overdue, agency_id, source, kind, escalated) -> dict:
    # 全部 is "all": an empty value is dropped before the route sees it (web.params), which would
    # bring back the default 未销号
    return {"q": args.q, "status": "" if status == "all" else status, "overdue_only": overdue == "1", "agency_id": agency_id, "source": source,
            "kind": kind, "escalated": escalated == "1"}


@router.get("/portal/rectifications")
def items(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "open", overdue: str = "",
          agency_id: int | None = None, source: str = "", kind: str = "", escalated: str = ""):
    if actor.is_enterprise:       # orders from the firm's cases and inspections appear when it looks
        service.sync_orders(db, actor.username, [actor.enterprise_id])
    p = service.page_items(db, actor, **_filters(args, status, overdue, agency_id, source, kind, escalated),
                           sort=args.sort, page=args.params)
    return render(request, "portal/rectifications.html", {
        "p": p, "items": p.items, "status": status, "overdue_only": overdue, "statuses": service.STATUS,
        "kinds": service.KINDS, "sources": service.SOURCES, "is_overdue": service.is_overdue, "today": now().date(),
        "q": args.q, "agency_id": agency_id, "source": source, "kind": kind, "escalated": escalated,
        "units": [] if actor.is_enterprise else units_of(db, actor)})


HEADER = ["事项编号", "整改事项", "企业", "统一社会信用代码", "属地机构", "来源", "类别", "下达时间", "整改期限", "状态",
          "是否逾期", "已升级督办", "销号时间"]


@router.get("/portal/rectifications.{fmt}")
def items_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "open",
                 overdue: str = "", agency_id: int | None = None, source: str = "", kind: str = "",
                 escalated: str = ""):
    filters = _filters(args, status, overdue, agency_id, source, kind, escalated)
    total = service.page_items(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    day = now().date()

    def rows(session):
        for r in service.iter_items(session, actor, sort=args.sort, **filters):
            yield [r.id, r.title, r.enterprise.name, r.enterprise.uscc, r.agency.name, service.SOURCES.get(r.source, r.source),
                   service.KINDS.get(r.kind, r.kind), stamp(r.created_at), r.due_on.isoformat(),
                   service.STATUS.get(r.status, r.status), "是" if service.is_overdue(r, day) else "否",
                   "是" if r.escalated else "否", stamp(r.closed_at)]

    return export(request, fmt, "整改督办", HEADER, rows, total)


def _page(request, db, actor, item_id: int, error: str = "", form: dict | None = None, status_code: int = 200):
    r = service.get_item(db, actor, item_id)
    return render(request, "portal/rectification.html", {
        "r": r, "reports": service.reports(db, r), "statuses": service.STATUS, "kinds": service.KINDS,
        "sources": service.SOURCES, "report_kinds": service.REPORT_KINDS, "overdue": service.is_overdue(r),
        "error": error, "form": form or {}}, status_code=status_code)


@router.get("/portal/rectifications/{item_id}")
def item(request: Request, item_id: int, db: DB, actor: CurrentActor):
    return _page(request, db, actor, item_id)


@router.post("/portal/rectifications/{item_id}/report")
def report(request: Request, item_id: int, db: DB, actor: CurrentActor, form: FormFields):
    text = str(form.get("text", ""))
    try:
        service.report(db, actor, item_id, text, files_of(form))
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, item_id, error=exc.message, form={"text": text}, status_code=exc.status)
    return RedirectResponse(f"/portal/rectifications/{item_id}", status_code=303)


@router.post("/portal/rectifications/{item_id}/verify")
def verify(request: Request, item_id: int, db: DB, actor: CurrentActor, form: FormFields):
    note = str(form.get("note", ""))
    try:
        service.verify(db, actor, item_id, close=form.get("decision") == "close", note=note)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, item_id, error=exc.message, form={"note": note}, status_code=exc.status)
    return RedirectResponse(f"/portal/rectifications/{item_id}", status_code=303)


@router.get("/portal/rectifications/{item_id}/files/{sha}")
def item_file(item_id: int, sha: str, db: DB, actor: CurrentActor, thumb: int = 0):
    r = service.get_item(db, actor, item_id)
    for rep in service.reports(db, r):
        for f in rep.files or []:
            if f["sha256"] == sha:
                from ..uploads import read

                return download(f, read(sha), thumb)
    raise NotFound("该整改事项没有这份材料", code="portal.file_not_found")
