"""The inspection figures kept per month by the database (core.summary), with the same
conditions as inspection.queries.county_sums counts them directly: submitted records by the
Beijing month of their check (inspections, findings, uploads within ``UPLOAD_HOURS`` of the
check) under their task's agency, routine tasks by due month (planned, done), and the firms
routine records covered per (Beijing day, agency, enterprise)."""

from __future__ import annotations

from ..core.summary import Part, Summary, within_hours, ym_date, ym_local, ymd_local

#: the upload rule the kept on-time count follows (rules/inspection/sampling.yaml); a period
#: whose rule says otherwise is counted from the records
UPLOAD_HOURS = 24

MONTH_COLUMNS = ("inspections", "findings", "uploads_on_time", "routine_planned", "routine_done")
_PAIR = {"rec": "inspection_record", "task": "inspection_task"}
_LINK = "{task}.id = {rec}.task_id"


def _records(d: str):
    on_time = within_hours(d, "{rec}.checked_at", "{rec}.submitted_at", UPLOAD_HOURS)
    return ((ym_local(d, "{rec}.checked_at"), "{task}.agency_id"),
            {"inspections": "1",
             "findings": "CASE WHEN {rec}.violation IS TRUE THEN 1 ELSE 0 END",
             "uploads_on_time": f"CASE WHEN {{rec}}.submitted_at IS NOT NULL AND {on_time} THEN 1 ELSE 0 END"},
            "{rec}.status = 'submitted'")


def _tasks(d: str):
    return ((ym_date(d, "{task}.due_date"), "{task}.agency_id"),
            {"routine_planned": "1", "routine_done": "CASE WHEN {task}.status = 'submitted' THEN 1 ELSE 0 END"},
            "{task}.source = 'routine'")


def _covered(d: str):
    return ((ymd_local(d, "{rec}.checked_at"), "{task}.agency_id", "{task}.enterprise_id"), {"records": "1"},
            "{rec}.status = 'submitted' AND {task}.source = 'routine'")


MONTH = Summary("inspection_month", ("ym", "agency_id"), MONTH_COLUMNS, (
    Part(_PAIR, _records, _LINK, watch={"rec": ("task_id", "status", "checked_at", "submitted_at", "violation"),
                                        "task": ("agency_id",)}),
    Part({"task": "inspection_task"}, _tasks, watch={"task": ("due_date", "agency_id", "source", "status")}),
))
COVER = Summary("inspection_cover_day", ("day", "agency_id", "enterprise_id"), ("records",), (
    Part(_PAIR, _covered, _LINK, watch={"rec": ("task_id", "status", "checked_at"),
                                        "task": ("agency_id", "enterprise_id", "source")}),
))
