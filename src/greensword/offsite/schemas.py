"""JSON shapes of the off-site leads API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mn: str
    enterprise_id: int | None
    agency_id: int | None
    factor: str
    detector: str
    start: datetime
    end: datetime
    score: float
    rank_score: float
    status: str
    verdict: str | None
    reason: str
    outcome: str
    repeats: int
    due_at: datetime
    task_id: int | None


class LeadDetail(LeadOut):
    evidence: dict
    overdue: bool


class LeadActIn(BaseModel):
    """confirm / dismiss / remind / close with a reason (``request_inspection`` is the inspection
    domain's: POST /api/v1/inspection/leads/{id}/task)."""

    reason: str = ""
