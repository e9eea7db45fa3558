"""Read-only figures other domains take from the leads (statistics, the leader dashboard),
so they never query the offsite tables themselves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.timeutil import TZ
from ..registry.models import Agency
from .models import Lead

#: lead statuses still waiting for someone to act
OPEN = ("new", "screened", "reminded", "inspection")


def leads_by_agency(session: Session, start: date, end: date) -> dict[int, int]:
    """Leads created from ``start`` to ``end`` (inclusive days) per agency id."""
    lo_ = datetime.combine(start, time(0), TZ)
    hi_ = datetime.combine(end + timedelta(days=1), time(0), TZ)
    return {agency_id: n for agency_id, n in session.execute(select(Lead.agency_id, func.count()).where(
        Lead.created_at >= lo_, Lead.created_at < hi_, Lead.agency_id.is_not(None)).group_by(Lead.agency_id))}


def open_leads(session: Session, agency_path: str, limit: int = 20) -> list[Lead]:
    """Open leads of a unit's subtree, highest rank first (read only)."""
    return list(session.execute(select(Lead).where(Lead.status.in_(OPEN))
                                .join(Agency, Lead.agency_id == Agency.id)
                                .where(Agency.path.startswith(agency_path, autoescape=True))
                                .order_by(Lead.rank_score.desc()).limit(limit)).scalars())


def confirmed_leads(session: Session, enterprise_ids: list[int], since: datetime) -> list[tuple[int, int, datetime]]:
    """(lead id, enterprise id, when) of the leads confirmed by screening (verdict confirmed) since
    ``since`` for the given firms (the portal's 正面清单 review reads them)."""
    if not enterprise_ids:
        return []
    return [(i, e, at) for i, e, at in session.execute(
        select(Lead.id, Lead.enterprise_id, Lead.updated_at).where(
            Lead.enterprise_id.in_(enterprise_ids), Lead.verdict == "confirmed", Lead.updated_at >= since)
        .order_by(Lead.id))]
