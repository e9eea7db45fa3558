"""rules/offsite/detectors.yaml, validated: one model per detector block, each with its source.
Values that follow a standard (HJ 75 validity, lead response times) are dated versions, read with
the date screened. No threshold has a default here: a missing value is a rules-file error."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, model_validator

from ..core.rules import Dated, Source, Version, load


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: Source


class Validity(Version):
    model_config = ConfigDict(extra="forbid", frozen=True)
    minutes_per_valid_hour: int
    hours_per_valid_day: int
    invalid_flags: list[str]
    stop_flags: list[str]
    maintenance_flags: list[str]
    intervals: list[int]


class Screening(_Block):
    baseline_hours: int


class FlagPolicy(BaseModel):
    """What a marked hour excuses under one emission standard (see exceedance.by_standard)."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    standard: str
    match: list[str]
    source: Source
    capped_flags: list[str]
    max_capped_hours: int | None


class Exceedance(_Block):
    min_hours: int
    by_standard: list[FlagPolicy]

    def policy(self, standard: str | None) -> FlagPolicy:
        """The flag policy of a point's standard (its registry text), ``default`` when none matches."""
        text = (standard or "").replace(" ", "").upper()
        for p in self.by_standard:
            if any(m.replace(" ", "").upper() in text for m in p.match):
                return p
        return next(p for p in self.by_standard if p.standard == "default")


class Flatline(_Block):
    min_hours: int
    max_range_ratio: float
    abs_floor: float
    normal_range_multiple: float


class NearLimit(_Block):
    band: tuple[float, float]
    min_hours: int
    min_share: float
    max_cv: float
    own_cv_ratio: float


class SuddenDrop(_Block):
    ratio: float
    min_hours: int
    baseline_hours: int
    baseline_max_age_hours: int
    min_baseline_hours: int
    min_baseline_share_of_limit: float
    after_stop_hours: int
    flow_min_share: float


class FlagAbuse(_Block):
    max_hours_per_day: int
    routine_calibration_hours: int
    covering_ratio: float
    covering_min_share_of_limit: float


class MissingData(_Block):
    min_hours: int


class O2Dilution(_Block):
    min_rise: float
    mad_multiple: float
    min_hours: int
    baseline_min_hours: int
    flow_low_share: float
    max_o2: float
    mismatch_tolerance: float
    mismatch_min_share: float
    hourly_o2_max_range: float


class DuplicatePattern(_Block):
    min_common_hours: int
    max_rel_diff: float
    max_spread_ratio: float
    history_days: int
    level_bucket: float


class OutOfRange(_Block):
    ranges: dict[str, tuple[float, float]]
    default_min: float
    limit_multiple: float
    ignore_flags: list[str]


class PowerMismatch(_Block):
    production_on_share: float
    treatment_off_share: float
    min_hours: int
    baseline_min_hours: int
    baseline_quantile: float


class AggregateMismatch(_Block):
    tolerance: float
    abs_floor: float
    min_covered_minutes: int
    min_hours: int


class Leads(Version):
    model_config = ConfigDict(extra="forbid", frozen=True)
    response_hours: int
    response_hours_key: int
    fold_hours: int
    rank_per_prior: float
    rank_prior_cap: int
    rank_key_factor: float


class OffsiteRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    validity: Dated[Validity]
    screening: Screening
    exceedance: Exceedance
    flatline: Flatline
    near_limit: NearLimit
    sudden_drop: SuddenDrop
    flag_abuse: FlagAbuse
    missing_data: MissingData
    o2_dilution: O2Dilution
    duplicate_pattern: DuplicatePattern
    out_of_range: OutOfRange
    power_mismatch: PowerMismatch
    aggregate_mismatch: AggregateMismatch
    leads: Dated[Leads]

    @model_validator(mode="after")
    def _sane(self) -> OffsiteRules:
        lo, hi = self.near_limit.band
        if not 0 < lo < hi:
            raise ValueError("near_limit.band 应为 [下限, 上限] 且 0 < 下限 < 上限")
        for v in self.validity.versions:
            if not set(v.stop_flags) | set(v.maintenance_flags) <= set(v.invalid_flags):
                raise ValueError("validity: 停运/维护标记必须同时是无效标记")
        stop = set.intersection(*(set(v.stop_flags) for v in self.validity.versions))
        if not any(p.standard == "default" for p in self.exceedance.by_standard):
            raise ValueError("exceedance.by_standard 须有一条 standard: default")
        for p in self.exceedance.by_standard:
            if not set(p.capped_flags) <= stop:
                raise ValueError(f"exceedance.by_standard {p.standard}: capped_flags 只能是停运标记（{', '.join(sorted(stop))}）")
            if p.capped_flags and (p.max_capped_hours is None or p.max_capped_hours < 0):
                raise ValueError(f"exceedance.by_standard {p.standard}: 有 capped_flags 时须给出 max_capped_hours ≥ 0")
        return self

    def block(self, detector: str) -> BaseModel:
        return getattr(self, detector)


def rules() -> OffsiteRules:
    return load("offsite/detectors.yaml", OffsiteRules)


def validity(on: date | None = None) -> Validity:
    """The HJ 75 validity rule in force on ``on`` (today when not given)."""
    return rules().validity.on(on or date.today())
