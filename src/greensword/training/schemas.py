"""Pydantic shapes of the training API."""

from datetime import date, datetime

from pydantic import BaseModel, Field


class AnswersIn(BaseModel):
    answers: dict[str, str] = Field(default_factory=dict)


class MarkIn(BaseModel):
    mn: str = Field(max_length=24)
    start: datetime
    end: datetime
    kind: str = Field(default="", max_length=30)


class MarksIn(BaseModel):
    marks: list[MarkIn] = Field(max_length=500)


class SheetIn(BaseModel):
    contestant_id: int
    items: dict[str, float]


class QualificationOut(BaseModel):
    id: int
    officer_id: int
    kind: str
    number: str
    issued_on: date
    expires_on: date | None
    revoked_on: date | None
