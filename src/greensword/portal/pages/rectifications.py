"""Rectification pages: the firm's items with deadlines and its progress reports (with evidence);
the officer's list (overdue and escalated flagged), verification and closing."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...core.errors import DomainError, NotFound
from ...core.timeutil import now
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.templating import NavItem, add_nav, render
from .. import rectify as service
from ._forms import download, files_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("整改督办", "/portal/rectifications", roles=("enterprise",), order=43))


@router.get("/portal/rectifications")
def items(request: Request, db: DB, actor: CurrentActor, status: str = "open", overdue: int = 0):
    if actor.is_enterprise:       # orders from the firm's cases and inspections appear when it looks
        service.sync_orders(db, actor.username, [actor.enterprise_id])
    return render(request, "portal/rectifications.html", {
        "items": service.list_items(db, actor, status=status, overdue_only=bool(overdue)), "status": status,
        "overdue_only": overdue, "statuses": service.STATUS, "kinds": service.KINDS, "sources": service.SOURCES,
        "is_overdue": service.is_overdue, "today": now().date()})


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
def item_file(item_id: int, sha: str, db: DB, actor: CurrentActor):
    r = service.get_item(db, actor, item_id)
    for rep in service.reports(db, r):
        for f in rep.files or []:
            if f["sha256"] == sha:
                from ..uploads import read

                return download(f, read(sha))
    raise NotFound("该整改事项没有这份材料", code="portal.file_not_found")
