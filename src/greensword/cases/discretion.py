"""Discretion benchmark (裁量基准), non-penalty list and study-points offset, all from
rules/cases/discretion.yaml. Pure functions: the case stores the answers and the result, so a
case-file reviewer can re-run the arithmetic."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import BaseModel

from ..core.errors import ValidationFailed
from ..core.rules import Source, load


class Factor(BaseModel):
    code: str
    name: str
    weight: float
    levels: dict[str, float]


class Example(BaseModel):
    answers: dict[str, str]
    fine: int


class Violation(BaseModel):
    code: str
    name: str
    breach: str
    penalty: str
    range: tuple[int, int]
    also: list[str] = []
    daily_penalty: bool = False
    factors: list[Factor]
    examples: list[Example] = []


class NonPenaltyItem(BaseModel):
    code: str
    conditions: list[str]
    text: str


class NonPenalty(BaseModel):
    source: Source
    items: list[NonPenaltyItem]


class StudyOffset(BaseModel):
    source: Source
    yuan_per_point: int
    max_share_of_fine: float
    max_yuan: int
    eligible_codes: list[str]
    exclude_major: bool = True


class DiscretionRules(BaseModel):
    source: Source
    violations: list[Violation]
    modifiers: dict[str, dict]
    non_penalty: NonPenalty
    conditions: dict[str, str]
    study_offset: StudyOffset

    def violation(self, code: str) -> Violation:
        for v in self.violations:
            if v.code == code:
                return v
        raise ValidationFailed(f"裁量基准中没有违法行为类型 {code}", code="cases.unknown_violation")


def rules() -> DiscretionRules:
    return load("cases/discretion.yaml", DiscretionRules)


@dataclass
class Proposal:
    code: str
    amount: int
    weighted_sum: float
    lines: list[str] = field(default_factory=list)     # the reasoning shown in the decision
    modifiers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"code": self.code, "amount": self.amount, "weighted_sum": round(self.weighted_sum, 6),
                "lines": self.lines, "modifiers": self.modifiers}


def propose(code: str, answers: dict[str, str], modifiers: list[str] | None = None) -> Proposal:
    """fine = floor + (ceiling − floor) × Σ(weight × level), modifiers applied to the sum."""
    r = rules()
    v = r.violation(code)
    floor, ceiling = v.range
    missing = [f.name for f in v.factors if f.code not in answers]
    if missing:
        raise ValidationFailed(f"裁量因子未填写：{'、'.join(missing)}", code="cases.discretion_incomplete")
    total = 0.0
    lines = [f"违法行为：{v.name}；违反{v.breach}，依据{v.penalty}，罚款幅度 {floor:,}–{ceiling:,} 元。"]
    for f in v.factors:
        level = answers[f.code]
        if level not in f.levels:
            raise ValidationFailed(f"裁量因子“{f.name}”没有档次“{level}”", code="cases.discretion_bad_level")
        total += f.weight * f.levels[level]
        lines.append(f"{f.name}：{level}（分值 {f.levels[level]:g} × 权重 {f.weight:g}）")
    applied = []
    s = total
    mitigated = False
    for m in modifiers or []:
        spec = r.modifiers.get(m)
        if spec is None:
            raise ValidationFailed(f"未知的裁量情节 {m}", code="cases.discretion_bad_modifier")
        applied.append(spec["name"])
        if "sum_delta" in spec:
            s += spec["sum_delta"]
        if m == "mitigated":
            mitigated = True
    s = min(1.0, max(0.0, s))
    amount = floor + (ceiling - floor) * s
    if mitigated:
        amount = floor * r.modifiers["mitigated"]["floor_ratio"]
    amount = int(math.floor(amount / 100 + 1e-9) * 100)      # whole hundreds of yuan
    lines.append(f"加权合计 {total:.2f}" + (f"，适用{'、'.join(applied)}后为 {s:.2f}" if applied else "")
                 + f"；建议罚款 {floor:,} + ({ceiling:,} − {floor:,}) × {s:.2f} = {amount:,} 元。")
    return Proposal(code, amount, total, lines, applied)


def non_penalty_match(code: str, facts: dict[str, bool]) -> str | None:
    """The list entry's text when every condition holds, else None."""
    for item in rules().non_penalty.items:
        if item.code == code and all(facts.get(c) for c in item.conditions):
            return item.text
    return None


def study_offset(code: str, fine: int, points: int, *, major: bool, floor: int = 0,
                 mitigation: str | None = None) -> tuple[int, int]:
    """(yuan offset, points used) under the caps; 0 when the case is not eligible. The offset is
    applied only within what the law allows: what remains payable never goes below the statutory
    minimum ``floor`` unless a 减轻 ground (行政处罚法第三十二条) is recorded."""
    so = rules().study_offset
    if code not in so.eligible_codes or (major and so.exclude_major) or fine <= 0 or points <= 0:
        return 0, 0
    cap = min(int(fine * so.max_share_of_fine), so.max_yuan)
    if not mitigation:
        cap = min(cap, max(0, fine - floor))
    yuan = min(points * so.yuan_per_point, cap)
    yuan -= yuan % so.yuan_per_point
    return yuan, yuan // so.yuan_per_point
