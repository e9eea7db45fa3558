"""The portal's rules files, typed: rules/portal/warnings.yaml (answer periods, evidence uploads),
selfcheck.yaml (schedule per industry and class) and rectification.yaml (deadlines, escalation)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..core.rules import Dated, Source, Version, load, register


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Response(Version):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hours_key: int
    hours_other: int


class Evidence(_Strict):
    source: Source
    max_bytes: int
    max_files: int
    types: list[str]


class WarningRules(_Strict):
    response: Dated[Response]
    evidence: Evidence


class Schedule(_Strict):
    name: str
    industry: str = ""
    key_polluter: bool | None = None
    positive_list: bool | None = None
    months: int


class SelfCheckRules(_Strict):
    source: Source
    findings_due_days: int
    schedule: list[Schedule]

    def period_for(self, industry_code: str, key_polluter: bool, positive_list: bool) -> Schedule:
        for s in self.schedule:
            if not (industry_code or "").startswith(s.industry):
                continue
            if s.key_polluter is not None and s.key_polluter != key_polluter:
                continue
            if s.positive_list is not None and s.positive_list != positive_list:
                continue
            return s
        return self.schedule[-1]


class RectificationRules(_Strict):
    source: Source
    inspection_due_days: int
    correction_days: int
    escalate_after_days: int


register("portal/warnings.yaml", WarningRules)
register("portal/selfcheck.yaml", SelfCheckRules)
register("portal/rectification.yaml", RectificationRules)


def warnings() -> WarningRules:
    return load("portal/warnings.yaml", WarningRules)


def selfcheck() -> SelfCheckRules:
    return load("portal/selfcheck.yaml", SelfCheckRules)


def rectification() -> RectificationRules:
    return load("portal/rectification.yaml", RectificationRules)
