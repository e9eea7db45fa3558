"""Notifications list: the firm's (warnings, orders, overdue items) or the county's (answers,
late answers, escalations), newest first; opening one marks it read."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...webkit.deps import DB, CurrentActor
from ...webkit.listing import List
from ...webkit.templating import NavItem, add_nav, render
from .. import notify
from ._forms import units_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("通知", "/portal/notifications", roles=("enterprise",), order=44))


@router.get("/portal/notifications")
def notifications(request: Request, db: DB, actor: CurrentActor, args: List, unread: str = "",
                  agency_id: int | None = None):
    p = notify.page_for(db, actor, q=args.q, unread=unread == "1", agency_id=agency_id, sort=args.sort,
                        page=args.params)
    return render(request, "portal/notifications.html", {
        "p": p, "items": p.items, "unread": notify.unread(db, actor), "unread_only": unread, "q": args.q,
        "agency_id": agency_id, "units": [] if actor.is_enterprise else units_of(db, actor)})


@router.post("/portal/notifications/{notification_id}/read")
def read_one(notification_id: int, db: DB, actor: CurrentActor):
    notify.mark_read(db, actor, notification_id)
    n = notify.get_for(db, actor, notification_id)
    return RedirectResponse(n.link if n is not None and n.link.startswith("/portal/") else "/portal/notifications",
                            status_code=303)


@router.post("/portal/notifications/read")
def read_all(db: DB, actor: CurrentActor):
    notify.mark_read(db, actor)
    return RedirectResponse("/portal/notifications", status_code=303)
