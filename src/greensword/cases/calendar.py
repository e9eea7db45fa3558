"""The working-day calendar lives in core (complaints, below cases, count statutory periods too)."""

from ..core.calendar import add_days, add_months, is_workday, known, next_workday

__all__ = ["add_days", "add_months", "is_workday", "known", "next_workday"]
