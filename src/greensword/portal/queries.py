"""Read-only figures other domains take from the enterprise portal (statistics, evaluation, the
leader dashboard), so they never query the portal tables themselves."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import summary
from ..core.summary import months
from ..core.timeutil import TZ
from ..registry.models import Agency
from . import figures
from .models.month import PortalMonth
from .models.rectification import Rectification
from .models.selfchecks import SelfCheck
from .models.warnings import PortalWarning

#: figure → zh-CN label (the statistics page and workbook show them in this order)
LABELS = {
    "warnings_sent": "预警提醒发送数",
    "warnings_on_time": "预警按时答复数",
    "warnings_late": "预警逾期答复数",
    "warnings_escalated": "预警转现场核查数",
    "selfchecks": "企业自查次数",
    "rectifications_closed": "整改销号数",
}


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(0), TZ), datetime.combine(end + timedelta(days=1), time(0), TZ)


def county_sums(session: Session, start: date, end: date, *, use_summary: bool = True) -> dict[int, dict[str, float]]:
    """Per agency id: warnings sent from ``start`` to ``end`` (inclusive days) and how they were
    answered (on time, late) and escalated; self-checks submitted; rectification items closed.
    Whole months come from the per-month sums the database keeps (portal.figures), the days at
    either edge from the rows (``use_summary=False``: all from the rows, the reference)."""
    whole, edges = months(start, end)
    if not use_summary or whole is None:
        return _direct_sums(session, start, end)
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    kept = summary.rows(PortalMonth.__table__, lambda t: t.c.ym.between(*whole))
    for agency_id, *values in session.execute(
            select(kept.c.agency_id, *[func.sum(kept.c[k]) for k in figures.COLUMNS]).group_by(kept.c.agency_id)):
        for key, n in zip(figures.COLUMNS, values, strict=True):
            if n:
                out[agency_id][key] += n
    for lo, hi in edges:
        for agency_id, values in _direct_sums(session, lo, hi).items():
            for key, n in values.items():
                out[agency_id][key] += n
    return out


def _direct_sums(session: Session, start: date, end: date) -> dict[int, dict[str, float]]:
    lo, hi = _bounds(start, end)
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for aid, status, late, answered, n in session.execute(
            select(PortalWarning.agency_id, PortalWarning.status, PortalWarning.late,
                   PortalWarning.answered_at.is_not(None), func.count())
            .where(PortalWarning.sent_at >= lo, PortalWarning.sent_at < hi)
            .group_by(PortalWarning.agency_id, PortalWarning.status, PortalWarning.late,
                      PortalWarning.answered_at.is_not(None))):
        out[aid]["warnings_sent"] += n
        if answered:
            out[aid]["warnings_late" if late else "warnings_on_time"] += n
        if status == "escalated":
            out[aid]["warnings_escalated"] += n
    for aid, n in session.execute(select(SelfCheck.agency_id, func.count()).where(
            SelfCheck.submitted_at >= lo, SelfCheck.submitted_at < hi).group_by(SelfCheck.agency_id)):
        out[aid]["selfchecks"] += n
    for aid, n in session.execute(select(Rectification.agency_id, func.count()).where(
            Rectification.closed_at >= lo, Rectification.closed_at < hi).group_by(Rectification.agency_id)):
        out[aid]["rectifications_closed"] += n
    return out


def warning_counts(session: Session, *, agency_path: str = "/", start: date | None = None,
                   end: date | None = None) -> dict[str, int]:
    """Warnings of an agency's subtree: sent, answered in time, late, escalated, open."""
    stmt = select(PortalWarning.status, PortalWarning.late, PortalWarning.answered_at.is_not(None), func.count()) \
        .join(Agency, PortalWarning.agency_id == Agency.id) \
        .where(Agency.path.startswith(agency_path, autoescape=True)) \
        .group_by(PortalWarning.status, PortalWarning.late, PortalWarning.answered_at.is_not(None))
    if start and end:
        lo, hi = _bounds(start, end)
        stmt = stmt.where(PortalWarning.sent_at >= lo, PortalWarning.sent_at < hi)
    c = {"sent": 0, "answered_on_time": 0, "late": 0, "escalated": 0, "open": 0}
    for status, late, answered, n in session.execute(stmt):
        c["sent"] += n
        if answered:
            c["late" if late else "answered_on_time"] += n
        if status == "escalated":
            c["escalated"] += n
        if status in ("sent", "answered"):
            c["open"] += n
    return c
