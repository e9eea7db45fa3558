"""The evaluation indicator system, one rules file per year (rules/evaluation/<year>.yaml): the
weights of a year's ranking are that year's, so a year is always scored by its own sheet."""

from __future__ import annotations

from pydantic import BaseModel

from ..core.errors import ValidationFailed
from ..core.rules import Source, load, register, rules_path


class Indicator(BaseModel):
    code: str
    name: str
    dimension: str = ""
    kind: str                       # statistic | rate | review | oversight (稽查结果) | entered
    weight: float
    per: str | None = None          # statistic normalised per officer
    target: float | None = None
    max_value: float | None = None
    cap: float = 1.0


class Adjustment(BaseModel):
    code: str
    name: str
    kind: str = "entered"
    per_point: float
    min: float
    max: float


class Selection(BaseModel):
    outstanding_quota: int
    threshold: float
    progress_quota: int


class IndividualIndicator(BaseModel):
    code: str
    name: str
    weight: float
    kind: str = "statistic"
    max_value: float | None = None


class Presentation(BaseModel):
    """How figures are shown (a presentation convention, not a legal rule)."""
    #: no growth rate (同比/环比) against a base under this (e.g. 1 → 4 is not "+300 %")
    min_growth_base: float = 5
    note: str = ""


class Scheme(BaseModel):
    source: Source
    year: int
    indicators: list[Indicator]
    adjustments: list[Adjustment] = []
    selection: dict[str, Selection]
    individuals: list[IndividualIndicator] = []
    presentation: Presentation = Presentation()


register("evaluation/*.yaml", Scheme)


def scheme(year: int) -> Scheme:
    """The indicator system (weights included) of ``year``: rules/evaluation/<year>.yaml, or for a
    year without its own file the latest earlier one."""
    for y in range(year, year - 10, -1):
        name = f"evaluation/{y}.yaml"
        if rules_path(name).exists():
            sc = load(name, Scheme)
            if sc.year != y:
                raise ValidationFailed(f"规则文件 {name} 写明的年度为 {sc.year}", code="rules.invalid")
            return sc
    raise ValidationFailed(f"没有 {year} 年的评估指标体系", code="evaluation.no_scheme")
