"""Mainland China's working-day calendar for statutory periods, usable by every layer (complaints
sit below cases): the chinese-calendar package (holidays and make-up working days), with
rules/cases/calendar.yaml for years it does not know yet (an official adds the State Council's
arrangement when it is published)."""

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


#: chinese-calendar's answer per day (its own look-up checks the date's range against every
#: holiday it knows, ≈40 µs a call; a page of cases asks about a thousand days)
_official_workday = lru_cache(maxsize=8192)(chinese_calendar.is_workday)


def known(d: date) -> bool:
    """Whether the official arrangement (not just weekends) is known for d's year."""
    try:
        chinese_calendar.is_workday(d)
        return True
    except NotImplementedError:
        return d.year in _overrides()


def is_workday(d: date) -> bool:
    over = _overrides().get(d.year)
    if over is not None:
        holidays, workdays = over
        if d in workdays:
            return True
        if d in holidays:
            return False
    try:
        return _official_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def next_workday(d: date) -> date:
    while not is_workday(d):
        d += timedelta(days=1)
    return d


def add_months(start: date, months: int) -> date:
    """The same day ``months`` calendar months later; a day the month lacks becomes its last day
    (six months from 03-31 ends 09-30)."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(start.day, last))


def add_days(start: date, days: int, day_type: str = "calendar") -> date:
    """The last day of a period of ``days`` starting the day after ``start``.

    calendar: count calendar days; if the last day is a rest day or holiday, the period ends on
    the next working day (行政诉讼法第八十三条、民事诉讼法第八十五条, applied to administrative periods).
    working: count working days only (行政处罚法第八十五条; make-up Saturdays are working days).
    months: calendar months (``days`` is then the number of months), moved off a rest day."""
    if day_type == "months":
        return next_workday(add_months(start, days))
    if day_type == "working":
        d, n = start, 0
        while n < days:
            d += timedelta(days=1)
            if is_workday(d):
                n += 1
        return d
    return next_workday(start + timedelta(days=days))
