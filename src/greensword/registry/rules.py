"""The registry's rules files, typed: the enumerations it validates against (classes.yaml) and the
emission-limit profiles that give monitoring points their limits (standards.yaml)."""

from __future__ import annotations

from pydantic import BaseModel

from ..core.rules import Source, load, register


class ClassValue(BaseModel):
    """One coded value; lists add their own fields (card, supervision_level, depth, st ...)."""

    model_config = {"extra": "allow"}

    code: str
    name: str


class ClassList(BaseModel):
    source: Source
    values: list[ClassValue]


class Classes(BaseModel):
    credit_classes: ClassList
    key_polluter_categories: ClassList
    agency_levels: ClassList
    point_kinds: ClassList


class ProfileFactor(BaseModel):
    factor_code: str
    unit: str = ""
    limit_value: float | None = None
    limit_min: float | None = None
    corrected: bool = False


class Profile(BaseModel):
    name: str
    kind: str
    ref_o2_pct: float | None = None
    source: Source
    factors: list[ProfileFactor]

    @property
    def standard(self) -> str:
        return f"{self.source.title} {self.source.article}".strip()


class Standards(BaseModel):
    profiles: dict[str, Profile]


register("registry/classes.yaml", Classes)
register("registry/standards.yaml", Standards)


def classes() -> Classes:
    return load("registry/classes.yaml", Classes)


def standards() -> Standards:
    return load("registry/standards.yaml", Standards)
