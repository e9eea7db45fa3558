"""What other domains read from the HJ 212 tables: factor names and units from the standard's
code table (rules/hj212/factors.yaml)."""

from __future__ import annotations

from pydantic import BaseModel

from ..core.rules import Source, load, register


class Factor(BaseModel):
    name: str
    unit: str = ""


class FactorTable(BaseModel):
    source: Source
    factors: dict[str, Factor]


register("hj212/factors.yaml", FactorTable)


def factors() -> dict[str, Factor]:
    return load("hj212/factors.yaml", FactorTable).factors


def factor_name(code: str) -> str:
    """``w21003`` → 氨氮; an unknown code (or ``*``, every factor) as it is."""
    if code == "*":
        return "全部因子"
    f = factors().get(code)
    return f.name if f else code


def factor_unit(code: str) -> str:
    f = factors().get(code)
    return f.unit if f else ""


def factor_label(code: str) -> str:
    """``w21003`` → 氨氮（mg/L）."""
    f = factors().get(code)
    if f is None:
        return factor_name(code)
    return f"{f.name}（{f.unit}）" if f.unit else f.name
