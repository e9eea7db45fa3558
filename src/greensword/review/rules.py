"""The case-file review sheet (rules/review/sheet.yaml), typed and dated: a round is scored on
the sheet in force on the day it was set up."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, model_validator

from ..core.errors import ValidationFailed
from ..core.rules import Dated, Version, load, register


class Item(BaseModel):
    code: str
    text: str
    points: int


class Section(BaseModel):
    code: str
    name: str
    items: list[Item]


class Veto(BaseModel):
    code: str
    text: str


class DrawRules(BaseModel):
    ratio: float            # share of each unit's closed files drawn per round
    min_per_unit: int


class Sheet(Version):
    veto: list[Veto]
    sections: list[Section]
    draw: DrawRules
    appeal_working_days: int
    pass_score: int

    def items(self) -> dict[str, Item]:
        return {i.code: i for s in self.sections for i in s.items}

    @model_validator(mode="after")
    def _hundred(self) -> Sheet:
        total = sum(i.points for i in self.items().values())
        if total != 100:
            raise ValueError(f"评查评分表（{self.effective}）合计 {total} 分，应为 100 分")
        return self


class Sheets(Dated[Sheet]):
    pass


register("review/sheet.yaml", Sheets)


def sheet(on: date) -> Sheet:
    """The review sheet in force on ``on``."""
    try:
        return load("review/sheet.yaml", Sheets).on(on)
    except ValidationFailed as exc:
        if "应为 100 分" in exc.message:
            raise ValidationFailed(exc.message, code="review.sheet_total") from exc
        raise
