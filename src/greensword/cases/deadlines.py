"""Statutory deadlines of a case, computed from its events with the working-day calendar and the
dated periods in rules/cases/periods.yaml (the version in force on the starting event's date).
Each Due says what is due, by when, under which article, and whether it is done or overdue.

Also here: the decision limit with its extensions and excluded (paused) periods, and the
late-payment surcharge (加处罚款) from the payment record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel

from ..core.rules import Dated, Source, Version, load
from .calendar import add_days, add_months, next_workday

PAUSE_KINDS = {
    "suspension": "中止调查",
    "hearing": "听证",
    "announcement": "公告",
    "monitoring": "监测（检测）",
    "assessment": "评估",
    "appraisal": "鉴定",
    "determination": "认定",
    "service": "送达",
}


class PeriodVersion(Version):
    amount: int
    day_type: Literal["working", "calendar", "months"] = "calendar"
    extension: int = 0
    further_extension_max: int = 0
    excluded: list[str] = []


class Period(BaseModel):
    label: str
    counts_from: str
    versions: Dated[PeriodVersion]

    def on(self, day: date) -> PeriodVersion:
        return self.versions.on(day)


class SurchargeVersion(Version):
    daily_rate: float
    cap_ratio: float


class Hours(BaseModel):
    hours: int
    source: Source


class PeriodRules(BaseModel):
    periods: dict[str, Period]
    criminal_transfer_hours: Hours
    surcharge: dict[str, Dated[SurchargeVersion]]


def rules() -> PeriodRules:
    return load("cases/periods.yaml", PeriodRules)


def version(kind: str, on: date) -> PeriodVersion:
    return rules().periods[kind].on(on)


def article(kind: str, on: date) -> str:
    s = version(kind, on).source
    return f"{s.title}{s.article}"


def period_end(kind: str, start: date, *, on: date | None = None, extended: bool = False,
               extra_days: int = 0) -> date:
    """Last day of the period ``kind`` starting after ``start``; ``on`` picks the rule version
    (default: the start date). ``extra_days`` (extensions, excluded periods) are calendar days
    added before the rest-day rule is applied."""
    v = version(kind, on or start)
    amount = v.amount + (v.extension if extended else 0)
    if v.day_type == "working":
        end = add_days(start, amount, "working")
        return next_workday(end + timedelta(days=extra_days)) if extra_days else end
    if v.day_type == "months":
        return next_workday(add_months(start, amount) + timedelta(days=extra_days))
    return next_workday(start + timedelta(days=amount + extra_days))


# --- decision limit: extensions and excluded periods ----------------------------------------------

def _merged_days(intervals: list[tuple[date, date]]) -> int:
    """Days covered by the intervals [start, end) once overlaps are merged."""
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += (cur_e - cur_s).days
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += (cur_e - cur_s).days
    return total


def paused_days(case, pauses, today: date | None = None) -> int:
    """Days not counted in the decision limit: pause intervals of the kinds the version in force
    at filing excludes (an open pause counts up to ``today``)."""
    if not case.filed_on:
        return 0
    excluded = set(version("decision", case.filed_on).excluded)
    end_default = today or date.max
    spans = []
    for p in pauses:
        if p.kind in excluded:
            spans.append((p.started_on, p.ended_on or end_default))
    if any(e == date.max for _, e in spans):
        return 10 ** 5
    return _merged_days(spans)


def extension_total(case) -> int:
    return sum(int(x.get("days", 0)) for x in (case.extensions or []))


def decision_deadline(case, pauses=(), today: date | None = None) -> date:
    """The limit from filing (90 days under 令30), plus approved/collective extensions, plus the
    excluded periods recorded as pause intervals."""
    extra = paused_days(case, pauses, today) + extension_total(case)
    if extra >= 10 ** 5:
        return date.max
    return period_end("decision", case.filed_on, extra_days=extra)


# --- late-payment surcharge ------------------------------------------------------------------------

def surcharge_rule(on: date) -> SurchargeVersion:
    return rules().surcharge["versions"].on(on)


def schedule(case) -> list[tuple[date, int]]:
    """(due date, amount) of what the party must pay: one sum 15 days after service, or the
    approved deferral's date, or the approved instalments."""
    owed = (case.fine or 0) - (case.offset_yuan or 0)
    plan = case.payment_plan or {}
    if plan.get("kind") == "instalments":
        return [(date.fromisoformat(i["due"]), int(i["amount"])) for i in plan["instalments"]]
    if plan.get("kind") == "deferral":
        return [(date.fromisoformat(plan["until"]), owed)]
    return [(period_end("payment", case.served_on), owed)]


def _appeal_spans(case) -> list[tuple[date, date]]:
    out = []
    for a in case.appeals or []:
        s = date.fromisoformat(a["applied_on"])
        e = date.fromisoformat(a["decided_on"]) if a.get("decided_on") else date.max
        out.append((s, e))
    return out


def surcharge(case, today: date, payments=()) -> int:
    """加处罚款 up to ``today``: 3 % a day of the principal overdue and still unpaid, from the day
    after each due date; payment stops it (a payment on day d stops it from d+1), days of an
    approved deferral are not overdue, days while a 复议/诉讼 is pending are not counted
    (行政处罚法第七十三条第三款), and the total never exceeds the fine (第七十二条)."""
    if not case.fine or not case.served_on or case.outcome in ("non_penalty", "revoked"):
        return 0
    sched = schedule(case)
    owed = sum(a for _, a in sched)
    if owed <= 0:
        return 0
    rule = surcharge_rule(case.decided_on or case.served_on)
    cap = int(owed * rule.cap_ratio)
    paid = sorted((p.paid_on, p.amount) for p in payments)
    appeals = _appeal_spans(case)
    first = min(d for d, _ in sched) + timedelta(days=1)
    total = 0.0
    d = first
    while d <= today and total < cap:
        due_principal = sum(a for due, a in sched if due < d)
        paid_before = sum(a for on, a in paid if on < d)
        overdue = min(due_principal, owed) - min(paid_before, owed)
        if overdue <= 0 and paid_before >= owed:
            break
        if overdue > 0 and not any(s <= d < e for s, e in appeals):
            total += overdue * rule.daily_rate
        d += timedelta(days=1)
    return int(min(total, cap))


# --- the case's dues -------------------------------------------------------------------------------

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
    return Due(kind, p.label, period_end(kind, start, **kw), article(kind, start), done_on)


def dues(case, today: date, pauses=()) -> list[Due]:
    out: list[Due] = []
    if getattr(case, "summary", False):
        if case.decided_on:
            out.append(_due("summary_filing", case.decided_on, case.filed_on))
        return out
    out.append(_due("filing", case.discovered_on, case.filed_on))
    if case.filed_on:
        p = rules().periods["decision"]
        out.append(Due("decision", p.label, decision_deadline(case, pauses, today), article("decision", case.filed_on),
                       case.decided_on))
    if case.notified_on:
        if case.stage == "notified" or case.decided_on:
            out.append(_due("statement", case.notified_on, None if case.stage == "notified" else case.notified_on))
        out.append(_due("hearing_request", case.notified_on, case.hearing_requested_on or (
            case.decided_on if case.decided_on else None)))
    if case.decided_on:
        out.append(_due("service", case.decided_on, case.served_on))
        if case.outcome == "penalty":
            out.append(_due("publication", case.decided_on, case.published_on))
    if case.served_on:
        # 复议/诉讼 run from when the party knew of the decision: its service
        applied = {a["kind"]: date.fromisoformat(a["applied_on"]) for a in (case.appeals or [])}
        out.append(_due("reconsideration", case.served_on, applied.get("reconsideration")))
        out.append(_due("lawsuit", case.served_on, applied.get("lawsuit")))
        for a in case.appeals or []:
            if a["kind"] == "reconsideration" and a.get("decided_on"):
                out.append(_due("lawsuit_after_reconsideration", date.fromisoformat(a["decided_on"]),
                                applied.get("lawsuit")))
    if case.served_on and case.fine and case.outcome == "penalty":
        last = max(d for d, _ in schedule(case))
        p = rules().periods["payment"]
        out.append(Due("payment", p.label, last, article("payment", case.served_on), case.paid_on))
    if case.closed_on:
        out.append(_due("archive", case.closed_on, case.archived_on))
    return out


def open_dues(case, today: date, pauses=()) -> list[Due]:
    """What is still to be done, soonest first (dashboards). Remedy periods are the party's."""
    items = [d for d in dues(case, today, pauses) if d.done_on is None and d.kind not in (
        "reconsideration", "lawsuit", "lawsuit_after_reconsideration")]
    return sorted(items, key=lambda d: d.due)
