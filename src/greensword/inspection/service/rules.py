"""Inspection rules: task sources and plan modes; the rules files, typed — sampling defaults
(dated), the checklist per industry and task due times (dated). Read a dated rule with the
event's date."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ...core.errors import ValidationFailed
from ...core.rules import Dated, Source, Version, load, register
from ..schemas import SOURCES  # noqa: F401  (re-exported: inspection.service.SOURCES)

MODES = {"routine": "常规双随机", "joint": "跨部门联合抽查", "cross_region": "异地交叉执法"}


class Stratum(BaseModel):
    code: str
    name: str
    match: dict = {}
    ratio: float


class SamplingRules(Version):
    strata: list[Stratum]
    credit_multiplier: dict[str, float]
    exclude_positive_list: bool
    team_size: int
    annual_minimum: dict[str, float]
    publish_within_working_days: int
    upload_on_time_hours: int


class Sampling(Dated[SamplingRules]):
    pass


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


class TaskRules(Version):
    lead_hours: int
    lead_hours_urgent: int
    statistics_grace_days: int


class Tasks(Dated[TaskRules]):
    pass


register("inspection/sampling.yaml", Sampling)
register("inspection/checklist.yaml", ChecklistRules)
register("inspection/tasks.yaml", Tasks)


def sampling(on: date) -> SamplingRules:
    """The sampling defaults in force on ``on`` (a plan's period start, a task's date ...)."""
    return load("inspection/sampling.yaml", Sampling).on(on)


def task_rules(on: date) -> TaskRules:
    return load("inspection/tasks.yaml", Tasks).on(on)


def checklist_for(industry_code: str) -> Checklist:
    for c in load("inspection/checklist.yaml", ChecklistRules).lists:
        if industry_code.startswith(c.prefix):
            return c
    raise ValidationFailed("抽查事项清单缺少默认清单", code="inspection.no_checklist")
