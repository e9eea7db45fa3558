"""The portal figures kept per (Beijing month, agency) by the database (core.summary), with the
conditions portal.queries.county_sums counts them by directly: warnings by the month they were
sent (sent, answered on time, answered late, escalated), self-checks by the month submitted,
rectification items by the month closed."""

from __future__ import annotations

from ..core.summary import Part, Summary, ym_local

COLUMNS = ("warnings_sent", "warnings_on_time", "warnings_late", "warnings_escalated", "selfchecks",
           "rectifications_closed")


def _warnings(d: str):
    return ((ym_local(d, "{w}.sent_at"), "{w}.agency_id"),
            {"warnings_sent": "1",
             "warnings_on_time": "CASE WHEN {w}.answered_at IS NOT NULL AND {w}.late IS NOT TRUE THEN 1 ELSE 0 END",
             "warnings_late": "CASE WHEN {w}.answered_at IS NOT NULL AND {w}.late IS TRUE THEN 1 ELSE 0 END",
             "warnings_escalated": "CASE WHEN {w}.status = 'escalated' THEN 1 ELSE 0 END"}, "")


def _selfchecks(d: str):
    return ((ym_local(d, "{s}.submitted_at"), "{s}.agency_id"), {"selfchecks": "1"}, "")


def _rectifications(d: str):
    return ((ym_local(d, "{r}.closed_at"), "{r}.agency_id"), {"rectifications_closed": "1"}, "")


MONTH = Summary("portal_month", ("ym", "agency_id"), COLUMNS, (
    Part({"w": "portal_warning"}, _warnings, watch={"w": ("sent_at", "agency_id", "answered_at", "late", "status")}),
    Part({"s": "portal_selfcheck"}, _selfchecks, watch={"s": ("submitted_at", "agency_id")}),
    Part({"r": "portal_rectification"}, _rectifications, watch={"r": ("closed_at", "agency_id")}),
))
