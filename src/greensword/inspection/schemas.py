"""JSON shapes of the inspection API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class UploadStart(BaseModel):
    sha256: str
    size: int
    filename: str
    mime: str = "application/octet-stream"
    captured_at: datetime | None = None
    location: str = ""


class TaskFromLead(BaseModel):
    officer_ids: list[int]
    due_date: date | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plan_id: int | None
    agency_id: int
    enterprise_id: int
    source: str
    source_ref: str
    officer_ids: list[int]
    due_date: date
    status: str
