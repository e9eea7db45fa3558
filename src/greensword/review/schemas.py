"""JSON shapes of the case-file review API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class RoundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agency_id: int
    name: str
    period_start: date
    period_end: date
    seed: str
    population_hash: str
    reviewers_hash: str
    result_hash: str
    published_on: date | None


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    round_id: int
    case_id: int
    unit_id: int
    reviewer: str
    second_reviewer: str | None
    status: str
    deductions: dict
    reasons: dict
    vetoes: list[str]
    score: float | None
    final_score: float | None


class RoundDetail(RoundOut):
    verified: bool
    files: list[FileOut]
    results: list[dict]


class RoundIn(BaseModel):
    agency_id: int
    name: str
    start: date
    end: date
    seed: str


class ScoreIn(BaseModel):
    deductions: dict[str, float] = {}
    reasons: dict[str, str] = {}
    vetoes: list[str] = []
    comment: str = ""


class AppealIn(BaseModel):
    reason: str
