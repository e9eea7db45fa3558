"""Pydantic shapes of the training API."""

from datetime import datetime

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
