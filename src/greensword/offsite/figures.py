"""Leads created per (Beijing month, agency), kept by the database (core.summary) with the
conditions offsite.queries.leads_by_agency counts them by directly."""

from __future__ import annotations

from ..core.summary import Part, Summary, ym_local


def _leads(d: str):
    return ((ym_local(d, "{l}.created_at"), "{l}.agency_id"), {"leads": "1"}, "")


MONTH = Summary("offsite_lead_month", ("ym", "agency_id"), ("leads",), (
    Part({"l": "offsite_lead"}, _leads, watch={"l": ("created_at", "agency_id")}),
))
