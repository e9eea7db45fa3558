"""Read-only figures other domains take from the leads (statistics, the leader dashboard),
so they never query the offsite tables themselves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..core import summary
from ..core.summary import months
from ..core.timeutil import TZ
from ..registry.models import Agency
from .models import Lead, LeadMonth

#: lead statuses still waiting for someone to act
OPEN = ("new", "screened", "reminded", "inspection")


def leads_by_agency(session: Session, start: date, end: date, *, use_summary: bool = True) -> dict[int, int]:
    """Leads created from ``start`` to ``end`` (inclusive days) per agency id: whole months from
    the per-month counts the database keeps (offsite.figures), the days at either edge from the
    leads (``use_summary=False``: all from the leads, the reference)."""
    whole, edges = months(start, end)
    if not use_summary or whole is None:
        return _leads_direct(session, start, end)
    kept = summary.rows(LeadMonth.__table__, lambda t: t.c.ym.between(*whole))
    out = {agency_id: int(n) for agency_id, n in session.execute(
        select(kept.c.agency_id, func.sum(kept.c.leads)).group_by(kept.c.agency_id)) if n}
    for lo, hi in edges:
        for agency_id, n in _leads_direct(session, lo, hi).items():
            out[agency_id] = out.get(agency_id, 0) + n
    return out


def _leads_direct(session: Session, start: date, end: date) -> dict[int, int]:
    lo_ = datetime.combine(start, time(0), TZ)
    hi_ = datetime.combine(end + timedelta(days=1), time(0), TZ)
    return {agency_id: n for agency_id, n in session.execute(select(Lead.agency_id, func.count()).where(
        Lead.created_at >= lo_, Lead.created_at < hi_, Lead.agency_id.is_not(None)).group_by(Lead.agency_id))}


def lead_for_task(session: Session, task_id: int | None) -> int | None:
    """The lead whose on-site check is task ``task_id`` (None when the task did not come from a lead)."""
    if task_id is None:
        return None
    return session.execute(select(func.min(Lead.id)).where(Lead.task_id == task_id)).scalar_one_or_none()


def converted_by_agency(session: Session, start: date, end: date, lead_ids) -> dict[int, int]:
    """Leads created from ``start`` to ``end`` that are among ``lead_ids`` (the leads a case was
    filed for: a set of ids, or a select of them, e.g. ``cases.queries.filed_lead_ids_select()``,
    which the database matches in one pass), per agency id: the numerator of the lead-to-case
    rate, never above the leads."""
    lo_ = datetime.combine(start, time(0), TZ)
    hi_ = datetime.combine(end + timedelta(days=1), time(0), TZ)
    period = (Lead.created_at >= lo_, Lead.created_at < hi_, Lead.agency_id.is_not(None))
    if isinstance(lead_ids, Select):
        return {agency_id: n for agency_id, n in session.execute(select(Lead.agency_id, func.count()).where(
            *period, Lead.id.in_(lead_ids)).group_by(Lead.agency_id))}
    if not lead_ids:
        return {}
    out: dict[int, int] = {}
    ids = sorted(lead_ids)
    for i in range(0, len(ids), 5000):              # bounded IN lists
        for agency_id, n in session.execute(select(Lead.agency_id, func.count()).where(
                *period, Lead.id.in_(ids[i:i + 5000])).group_by(Lead.agency_id)):
            out[agency_id] = out.get(agency_id, 0) + n
    return out


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
