"""JSON shapes of the penalty-case API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    agency_id: int
    enterprise_id: int
    title: str
    source: str
    source_ref: str
    violation_code: str | None
    stage: str
    outcome: str | None
    major: bool
    tags: list[str]
    fine_proposed: int | None
    fine: int | None
    discovered_on: date
    filed_on: date | None
    decided_on: date | None
    closed_on: date | None


class DueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    label: str
    due: date
    article: str
    done_on: date | None = None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    on: date
    by: str
    from_stage: str | None
    to_stage: str | None
    at: datetime


class CaseDetail(CaseOut):
    facts: str
    events: list[EventOut]
    next_dues: list[DueOut]


class OverdueOut(BaseModel):
    case: CaseOut
    due: DueOut


class ActIn(BaseModel):
    """One workflow step: the date it happened (default today) and the step's fields (e.g.
    ``fine``, ``reason``), as the console form sends them."""

    on: date | None = None
    data: dict = {}
