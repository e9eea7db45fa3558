"""Rules that officials change live as YAML under greensword/rules/, each entry naming its legal
source. This module loads and validates them (Pydantic) and resolves dated values: a changed rule
is a new dated value, never an edit, and an event is judged by the value in force on its date.

A deployment can override any rules file by placing a file of the same relative path under
``$GREENSWORD_DATA_DIR/rules/`` (so an official can correct a value without a release).
"""

from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, RootModel, ValidationError, model_validator

from .errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)


class Source(BaseModel):
    """Where a rule value comes from. ``verified`` is False for best-knowledge values."""

    title: str
    article: str = ""
    url: str = ""
    verified: bool = False


class Version(BaseModel):
    """One dated value of a rule: in force from ``effective`` until the next version's date.
    Subclass it with the rule's own fields (days, amount, weight ...)."""

    effective: date
    source: Source


V = TypeVar("V", bound=Version)


class Dated(RootModel[list[V]], Generic[V]):
    """A rule whose value changes over time, written in YAML as a list of versions::

        hearing_request:
          - effective: 2021-07-15
            days: 5
            source: {title: 中华人民共和国行政处罚法, article: 第六十四条, verified: true}

    A changed rule is a new version, never an edit; ``on(day)`` gives the version in force on the
    event's date (a case found on 2023-06-30 is judged by the rule of that day)."""

    @model_validator(mode="after")
    def _ordered(self) -> "Dated[V]":
        dates = [v.effective for v in self.root]
        if not dates:
            raise ValueError("规则至少需要一个生效版本")
        if len(set(dates)) != len(dates):
            raise ValueError(f"规则的生效日期重复：{sorted(dates)}")
        self.root.sort(key=lambda v: v.effective)
        return self

    def on(self, day: date) -> V:
        found = None
        for version in self.root:
            if version.effective <= day:
                found = version
        if found is None:
            raise ValidationFailed(
                f"{day.isoformat()} 时该规则尚未生效（最早生效日 {self.root[0].effective.isoformat()}）",
                code="rules.not_in_force")
        return found

    @property
    def versions(self) -> list[V]:
        return list(self.root)


def rules_path(name: str) -> Path:
    from ..settings import get_settings

    override = get_settings().data_dir / "rules" / name
    if override.exists():
        return override
    return Path(str(resources.files("greensword") / "rules" / name))


@lru_cache(maxsize=128)
def _read(path: str, mtime: float) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_raw(name: str) -> Any:
    path = rules_path(name)
    if not path.exists():
        raise ValidationFailed(f"规则文件 {name} 不存在", code="rules.missing")
    return _read(str(path), path.stat().st_mtime)


def load(name: str, model: type[M]) -> M:
    """Load ``rules/<name>`` and validate it against ``model``."""
    try:
        return model.model_validate(load_raw(name))
    except ValidationError as exc:
        raise ValidationFailed(f"规则文件 {name} 格式错误：{exc}", code="rules.invalid") from exc


def in_force(values: dict[date, Any], on: date) -> Any:
    """The value in force on ``on`` from a {effective_date: value} mapping."""
    eligible = [d for d in values if d <= on]
    if not eligible:
        raise ValidationFailed(f"{on.isoformat()} 时尚无生效的规则值", code="rules.not_in_force")
    return values[max(eligible)]
