"""Training rules (YAML under rules/training/), validated with Pydantic."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..core.rules import Dated, Source, Version, load

LEVELS = ("county", "city", "province", "national")
LEVEL_NAMES = {"county": "县级", "city": "市级", "province": "省级", "national": "国家级"}


class Validity(Version):
    years: int


class QualKind(BaseModel):
    name: str
    validity_years: Dated[Validity]
    remind_days: int
    required_for: str = ""
    source: Source


class QualRules(BaseModel):
    kinds: dict[str, QualKind]


class PoolSpec(BaseModel):
    name: str
    criteria: dict[str, dict[str, float]]


class PoolRules(BaseModel):
    source: Source
    levels: list[str]
    level_names: dict[str, str]
    pools: dict[str, PoolSpec]
    criteria_names: dict[str, str]


class ExamLevel(BaseModel):
    questions: int
    minutes: int
    pass_mark: float = Field(60, alias="pass")
    mix: dict[int, float]


class ExamRules(BaseModel):
    source: Source
    levels: dict[str, ExamLevel]


class SheetItem(BaseModel):
    code: str
    item: str
    max: float


class RoundSpec(BaseModel):
    kind: str
    name: str
    weight: float
    sheet: list[SheetItem] = []


class OffsiteSpec(BaseModel):
    beta: float = 1.0


class CompetitionRules(BaseModel):
    source: Source
    tie_decimals: int = 2
    offsite: OffsiteSpec = OffsiteSpec()
    rounds: list[RoundSpec]


def qualifications() -> QualRules:
    return load("training/qualifications.yaml", QualRules)


def pools() -> PoolRules:
    return load("training/pools.yaml", PoolRules)


def exams() -> ExamRules:
    return load("training/exams.yaml", ExamRules)


def competition() -> CompetitionRules:
    return load("training/competition.yaml", CompetitionRules)
