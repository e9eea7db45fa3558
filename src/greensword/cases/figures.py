"""The case figures kept per (month, agency) by the database (core.summary): cases filed and
filed from leads (by filing date), decisions, fines, non-penalty decisions and study-points
offsets (by decision date), withdrawals (by closing date) — the same conditions as
cases.queries.county_sums counts them directly."""

from __future__ import annotations

from ..core.summary import Part, Summary, ym_date

COLUMNS = ("cases_filed", "lead_cases", "decisions", "fines_yuan", "non_penalty", "offset_cases", "offset_yuan",
           "withdrawn")


def _filed(d: str):
    return ((ym_date(d, "{c}.filed_on"), "{c}.agency_id"),
            {"cases_filed": "1",
             "lead_cases": "CASE WHEN {c}.source = 'lead' OR {c}.lead_id IS NOT NULL THEN 1 ELSE 0 END"}, "")


def _decided(d: str):
    return ((ym_date(d, "{c}.decided_on"), "{c}.agency_id"),
            {"decisions": "CASE WHEN {c}.outcome IN ('penalty', 'revoked') THEN 1 ELSE 0 END",
             "fines_yuan": "CASE WHEN {c}.outcome = 'penalty' THEN COALESCE({c}.fine, 0) ELSE 0 END",
             "non_penalty": "CASE WHEN {c}.outcome = 'non_penalty' THEN 1 ELSE 0 END",
             "offset_cases": "CASE WHEN {c}.offset_yuan > 0 THEN 1 ELSE 0 END",
             "offset_yuan": "COALESCE({c}.offset_yuan, 0)"}, "")


def _closed(d: str):
    return ((ym_date(d, "{c}.closed_on"), "{c}.agency_id"),
            {"withdrawn": "CASE WHEN {c}.outcome = 'withdrawn' THEN 1 ELSE 0 END"}, "")


_T = {"c": "penalty_case"}
SUMMARY = Summary("penalty_case_month", ("ym", "agency_id"), COLUMNS, (
    Part(_T, _filed, watch={"c": ("filed_on", "agency_id", "source", "lead_id")}),
    Part(_T, _decided, watch={"c": ("decided_on", "agency_id", "outcome", "fine", "offset_yuan")}),
    Part(_T, _closed, watch={"c": ("closed_on", "agency_id", "outcome")}),
))


def _measure(d: str):
    return (("{m}.started_on", "{m}.kind", "{c}.agency_id", "{m}.case_id"), {"measures": "1"}, "")


#: every supporting measure with its case's agency, by start day (cases with a measure in a
#: period are distinct cases: counted from these rows, not added up by month)
MEASURES = Summary("penalty_case_measure_day", ("started_on", "kind", "agency_id", "case_id"), ("measures",), (
    Part({"m": "penalty_case_measure", "c": "penalty_case"}, _measure, "{c}.id = {m}.case_id",
         watch={"m": ("started_on", "kind", "case_id"), "c": ("agency_id",)}),
))
