"""Inspection rules: task sources and plan modes, the sampling rules and the checklists."""

from __future__ import annotations

from pydantic import BaseModel

from ...core.errors import ValidationFailed
from ...core.rules import Source, load

SOURCES = {"routine": "双随机抽查", "lead": "非现场监管线索", "complaint": "信访投诉", "transfer": "移送/交办",
           "special": "专项检查"}
MODES = {"routine": "常规双随机", "joint": "跨部门联合抽查", "cross_region": "异地交叉执法"}


class Stratum(BaseModel):
    code: str
    name: str
    match: dict = {}
    ratio: float


class SamplingRules(BaseModel):
    source: Source
    strata: list[Stratum]
    credit_multiplier: dict[str, float]
    exclude_positive_list: bool
    team_size: int
    annual_minimum: dict[str, float]
    publish_within_working_days: int
    upload_on_time_hours: int


class ChecklistItem(BaseModel):
    code: str
    text: str
    basis: str = ""


class Checklist(BaseModel):
    prefix: str
    name: str
    items: list[ChecklistItem]


class ChecklistRules(BaseModel):
    source: Source
    lists: list[Checklist]


def sampling() -> SamplingRules:
    return load("inspection/sampling.yaml", SamplingRules)


def checklist_for(industry_code: str) -> Checklist:
    for c in load("inspection/checklist.yaml", ChecklistRules).lists:
        if industry_code.startswith(c.prefix):
            return c
    raise ValidationFailed("抽查事项清单缺少默认清单", code="inspection.no_checklist")
