"""Notifications list: the firm's (warnings, orders, overdue items) or the county's (answers,
late answers, escalations), newest first; opening one marks it read."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...webkit.deps import DB, CurrentActor
from ...webkit.templating import NavItem, add_nav, render
from .. import notify

router = APIRouter(include_in_schema=False)
add_nav(NavItem("通知", "/portal/notifications", roles=("enterprise",), order=44))


@router.get("/portal/notifications")
def notifications(request: Request, db: DB, actor: CurrentActor):
    return render(request, "portal/notifications.html", {"items": notify.list_for(db, actor),
                                                         "unread": notify.unread(db, actor)})


@router.post("/portal/notifications/{notification_id}/read")
def read_one(notification_id: int, db: DB, actor: CurrentActor):
    notify.mark_read(db, actor, notification_id)
    n = next((x for x in notify.list_for(db, actor, limit=500) if x.id == notification_id), None)
    return RedirectResponse(n.link if n is not None and n.link.startswith("/portal/") else "/portal/notifications",
                            status_code=303)


@router.post("/portal/notifications/read")
def read_all(db: DB, actor: CurrentActor):
    notify.mark_read(db, actor)
    return RedirectResponse("/portal/notifications", status_code=303)
