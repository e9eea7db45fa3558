"""Mainland China's working-day calendar for statutory periods, usable by every layer (complaints
sit below cases, so they cannot use cases.calendar). Same data as cases.calendar: the
chinese-calendar package plus rules/cases/calendar.yaml for years it does not know yet.

TODO(lead): cases/calendar.py can become a re-export of this module once the branches settle."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from .rules import load_raw


@lru_cache(maxsize=1)
def _overrides() -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    raw = load_raw("cases/calendar.yaml") or {}
    out = {}
    for year, spec in (raw.get("years") or {}).items():
        out[int(year)] = (frozenset(date.fromisoformat(str(d)) for d in spec.get("holidays", [])),
                          frozenset(date.fromisoformat(str(d)) for d in spec.get("workdays", [])))
    return out


def is_workday(d: date) -> bool:
    over = _overrides().get(d.year)
    if over is not None:
        holidays, workdays = over
        if d in workdays:
            return True
        if d in holidays:
            return False
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def next_workday(d: date) -> date:
    while not is_workday(d):
        d += timedelta(days=1)
    return d


def add_days(start: date, days: int, day_type: str = "calendar") -> date:
    """The last day of a period of ``days`` starting the day after ``start``.

    calendar: count calendar days; a last day falling on a rest day or holiday moves to the next
    working day. working: count working days only."""
    if day_type == "working":
        d, n = start, 0
        while n < days:
            d += timedelta(days=1)
            if is_workday(d):
                n += 1
        return d
    return next_workday(start + timedelta(days=days))
