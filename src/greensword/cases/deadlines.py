"""Statutory deadlines of a case, computed from its events with the working-day calendar and the
periods in rules/cases/periods.yaml. Each Due says what is due, by when, under which article,
and whether it is done or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from ..core.rules import Source, load
from .calendar import add_days


class Period(BaseModel):
    label: str
    days: int
    extension_days: int = 0
    day_type: str = "calendar"
    source: Source


class Surcharge(BaseModel):
    daily_rate: float
    cap_ratio: float
    source: Source


class Threshold(BaseModel):
    default: int
    source: Source


class PeriodRules(BaseModel):
    periods: dict[str, Period]
    surcharge: Surcharge
    hearing_threshold: Threshold


def rules() -> PeriodRules:
    return load("cases/periods.yaml", PeriodRules)


def period_end(kind: str, start: date, *, extended: bool = False, extra_days: int = 0) -> date:
    p = rules().periods[kind]
    days = p.days + (p.extension_days if extended else 0) + extra_days
    return add_days(start, days, p.day_type)


@dataclass
class Due:
    kind: str
    label: str
    due: date
    article: str
    done_on: date | None = None

    #: Periods that run for the party (applying for reconsideration): when they pass unused
    #: nothing is overdue, the period has simply lapsed.
    PARTY_PERIODS = ("reconsideration", "hearing_request")

    def __post_init__(self):
        # dates read back from stored JSON (the appeal record) arrive as ISO strings
        if isinstance(self.done_on, str):
            self.done_on = date.fromisoformat(self.done_on[:10])

    def overdue(self, today: date) -> bool:
        return (self.done_on or today) > self.due

    def status(self, today: date) -> str:
        if self.done_on:
            return "late" if self.done_on > self.due else "done"
        if today > self.due:
            return "lapsed" if self.kind in self.PARTY_PERIODS else "overdue"
        return "soon" if (self.due - today).days <= 3 else "open"


def _due(kind: str, start: date, done_on: date | None = None, **kw) -> Due:
    p = rules().periods[kind]
    return Due(kind, p.label, period_end(kind, start, **kw), f"{p.source.title}{p.source.article}", done_on)


def decision_deadline(case) -> date:
    """90 days from filing, plus the approved extension, plus the days that are not counted."""
    return period_end("decision", case.filed_on, extra_days=case.paused_days + case.extension_days)


def surcharge(case, today: date) -> int:
    """3 % of the fine per day after the payment deadline, never more than the fine."""
    if not case.fine or not case.served_on or case.outcome == "non_penalty":
        return 0
    due = period_end("payment", case.served_on)
    owed = case.fine - case.offset_yuan
    if case.paid_yuan >= owed and case.closed_on:
        return 0
    end = min(today, case.closed_on) if case.closed_on else today
    days = (end - due).days
    if days <= 0:
        return 0
    s = rules().surcharge
    return int(min(owed * s.daily_rate * days, owed * s.cap_ratio))


def dues(case, today: date) -> list[Due]:
    out: list[Due] = []
    out.append(_due("filing", case.discovered_on, case.filed_on, extended=False))
    if case.filed_on:
        p = rules().periods["decision"]
        out.append(Due("decision", p.label, decision_deadline(case), f"{p.source.title}{p.source.article}",
                       case.decided_on))
    if case.notified_on:
        if case.stage == "notified" or case.decided_on:
            out.append(_due("statement", case.notified_on, None if case.stage == "notified" else case.notified_on))
        out.append(_due("hearing_request", case.notified_on, case.hearing_requested_on or (
            case.decided_on if case.decided_on else None)))
    if case.decided_on:
        out.append(_due("service", case.decided_on, case.served_on))
        out.append(_due("reconsideration", case.decided_on, case.appeal.get("on") if case.appeal else None))
    if case.served_on and case.fine and case.outcome != "non_penalty":
        out.append(_due("payment", case.served_on, case.closed_on if case.paid_yuan else None))
    if case.closed_on:
        out.append(_due("archive", case.closed_on, case.archived_on))
    return out


def open_dues(case, today: date) -> list[Due]:
    """What is still to be done, soonest first (dashboards)."""
    items = [d for d in dues(case, today) if d.done_on is None and d.kind not in ("reconsideration",)]
    return sorted(items, key=lambda d: d.due)

