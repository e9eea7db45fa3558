"""Notifications for the firm (a new warning, an order, an overdue item) and for its county (an
answer received, a late answer, an escalated item). Enterprise users see only their own firm's;
officers see their jurisdiction's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, scope
from ..core.errors import NotFound
from ..core.pagination import Page, PageParams, Sort, page_of, where_search
from ..core.timeutil import now
from ..registry.models import Agency
from .models.notifications import Notification


def notify(session: Session, *, audience: str, enterprise_id: int, agency_id: int, title: str, body: str = "",
           link: str = "", at: datetime | None = None) -> Notification:
    n = Notification(audience=audience, enterprise_id=enterprise_id, agency_id=agency_id, title=title[:200],
                     body=body, link=link[:200], created_at=at or now())
    session.add(n)
    return n


def _scoped(actor: Actor):
    stmt = select(Notification).join(Agency, Notification.agency_id == Agency.id).where(
        Notification.audience == ("enterprise" if actor.is_enterprise else "agency"))
    return scope(stmt, actor, Agency.path, Notification.enterprise_id)


#: Sort keys of the notification list (newest first by default).
NOTIFICATION_SORT = Sort(keys={"created": [Notification.created_at], "title": [Notification.title]},
                         default="-created", tiebreak=[Notification.id.desc()],
                         labels={"created": "时间", "title": "标题"})


def _query(session: Session, actor: Actor, *, q: str = "", unread: bool = False, agency_id: int | None = None):
    from ..registry import service as registry

    stmt = _scoped(actor)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return where_search(stmt, q, Notification.title, Notification.body)


def page_for(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
             **filters) -> Page[Notification]:
    """One page of the actor's notifications (newest first unless ``sort``), with the total; filters:
    ``q`` (title and text), ``unread``, ``agency_id`` (an officer's unit)."""
    return page_of(session, _query(session, actor, **filters), page, sort=NOTIFICATION_SORT, sort_value=sort)


def list_for(session: Session, actor: Actor, *, limit: int = 100) -> list[Notification]:
    """The newest ``limit`` notifications (panels; the list page pages)."""
    return page_for(session, actor, page=PageParams(size=max(1, min(limit, 500)))).items


def get_for(session: Session, actor: Actor, notification_id: int) -> Notification | None:
    """One of the actor's notifications (None when it is not theirs or does not exist)."""
    return session.execute(_scoped(actor).where(Notification.id == notification_id)).scalar_one_or_none()


def unread(session: Session, actor: Actor) -> int:
    stmt = _scoped(actor).where(Notification.read_at.is_(None))
    return session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def mark_read(session: Session, actor: Actor, notification_id: int | None = None) -> int:
    """Mark one notification (or all of the actor's) read; returns how many changed."""
    stmt = _scoped(actor).where(Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    rows = list(session.execute(stmt).scalars())
    if notification_id is not None and not rows and session.get(Notification, notification_id) is None:
        raise NotFound(f"通知 {notification_id} 不存在", code="portal.notification_not_found")
    for n in rows:
        n.read_at = now()
    if rows:
        audit.record_many(session, actor, "portal.notification.read",
                          [("portal_notification", n.id, {"read_at": n.read_at.isoformat()}) for n in rows])
    return len(rows)
