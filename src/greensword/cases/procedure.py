"""Procedure rules other than periods (rules/cases/procedure.yaml): hearing scope with local
thresholds, summary procedure amounts, 时效, non-penalty and mitigation grounds, when 法制审核 and
集体讨论 are required, and the stages at which transfers may be made."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ..core.rules import Dated, Source, Version, load
from .calendar import add_months


class HearingVersion(Version):
    organisation_threshold: int
    citizen_threshold: int
    inclusive: bool = False
    local_thresholds: dict[str, int] = {}
    measures: dict[str, str]
    local_source: Source | None = None
    citizen_source: Source | None = None


class SummaryVersion(Version):
    citizen_max: int
    organisation_max: int


class OfficersVersion(Version):
    minimum: int


class LimitationVersion(Version):
    years: int
    extended_years: int


class Ground(BaseModel):
    text: str
    must: bool
    natural_person_only: bool = False
    source: Source


class Required(BaseModel):
    required_when: list[str]
    source: Source


class TransferRule(BaseModel):
    label: str
    stages: list[str]
    period: str
    source: Source


class ProcedureRules(BaseModel):
    hearing: dict[str, Dated[HearingVersion]]
    summary: dict[str, Dated[SummaryVersion]]
    officers: dict[str, Dated[OfficersVersion]]
    limitation: dict[str, Dated[LimitationVersion]]
    non_penalty_grounds: dict[str, Ground]
    mitigation_grounds: dict[str, str]
    mitigation_source: Source
    legal_review: Required
    collective_discussion: Required
    transfers: dict[str, TransferRule]


def rules() -> ProcedureRules:
    return load("cases/procedure.yaml", ProcedureRules)


def cite(s: Source) -> str:
    return f"{s.title}{s.article}"


def hearing(on: date) -> HearingVersion:
    return rules().hearing["versions"].on(on)


def hearing_threshold(on: date, division_code: str = "", *, citizen: bool = False) -> int:
    h = hearing(on)
    local = h.local_thresholds.get(division_code[:2]) if division_code else None
    if local is not None:
        return local
    return h.citizen_threshold if citizen else h.organisation_threshold


def fine_in_hearing_scope(fine: int, on: date, division_code: str = "", *, citizen: bool = False) -> bool:
    t = hearing_threshold(on, division_code, citizen=citizen)
    return fine >= t if hearing(on).inclusive else fine > t


def hearing_scope_text(on: date, division_code: str = "", *, citizen: bool = False) -> str:
    t = hearing_threshold(on, division_code, citizen=citizen)
    return f"罚款{'达到' if hearing(on).inclusive else '超过'} {t:,} 元（{'含' if hearing(on).inclusive else '不含'}本数）"


def summary(on: date) -> SummaryVersion:
    return rules().summary["versions"].on(on)


def officers(on: date) -> OfficersVersion:
    """Minimum number of certified officers who investigate or decide on the spot."""
    return rules().officers["versions"].on(on)


def headcount(n: int) -> str:
    """How the law writes a head count: 两名, 3名."""
    return "两名" if n == 2 else f"{n}名"


def limitation(on: date) -> LimitationVersion:
    return rules().limitation["versions"].on(on)


def limitation_end(offence_ended_on: date, *, extended: bool, on: date | None = None) -> date:
    """Last day on which the act may still be discovered (二年 / 五年, from the act or its end)."""
    v = limitation(on or offence_ended_on)
    return add_months(offence_ended_on, 12 * (v.extended_years if extended else v.years))
