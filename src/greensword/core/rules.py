"""Rules that officials change live as YAML under greensword/rules/, each entry naming its legal
source. This module loads and validates them (Pydantic) and resolves dated values: a changed rule
is a new dated value, never an edit, and an event is judged by the value in force on its date.

A deployment can override any rules file by placing a file of the same relative path under
``$GREENSWORD_DATA_DIR/rules/`` (so an official can correct a value without a release).
"""

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatch
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


@lru_cache(maxsize=256)
def _builtin_path(name: str) -> Path:
    return Path(str(resources.files("greensword") / "rules" / name))


def rules_path(name: str) -> Path:
    from ..settings import get_settings

    override = get_settings().data_dir / "rules" / name
    if override.exists():
        return override
    return _builtin_path(name)


#: libyaml's safe loader when PyYAML was built with it (the same documents, ≈10× faster to parse).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(path: Path) -> Any:
    """A rules file's content: YAML, or for .csv a list of rows whose ``source_title``,
    ``source_article``, ``source_url`` and ``source_verified`` columns form each row's source."""
    with open(path, encoding="utf-8", newline="") as fh:
        if path.suffix != ".csv":
            return yaml.load(fh, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader (libyaml's when built)
        rows = []
        for row in csv.DictReader(fh):
            src = {k[len("source_"):]: row.pop(k) for k in list(row) if k.startswith("source_")}
            if src:
                src["verified"] = str(src.get("verified", "")).strip().lower() in ("true", "1", "yes", "是")
                row["source"] = src
            rows.append(row)
        return rows


@lru_cache(maxsize=128)
def _read(path: str, mtime: float) -> Any:
    return parse(Path(path))


def load_raw(name: str) -> Any:
    path = rules_path(name)
    if not path.exists():
        raise ValidationFailed(f"规则文件 {name} 不存在", code="rules.missing")
    return _read(str(path), path.stat().st_mtime)


def warm() -> int:
    """Parse every built-in rules file (or its override) now: a server worker does it before its
    first request instead of during one. Returns how many files."""
    root = _builtin_path("")
    n = 0
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in (".yaml", ".yml", ".csv"):
            path, mtime = _current(p.relative_to(root).as_posix())
            _read(path, mtime)
            n += 1
    return n


@lru_cache(maxsize=256)
def _validated(path: str, mtime: float, model: type[M]) -> M:
    return model.model_validate(_read(path, mtime))


def _current(name: str) -> tuple[str, float]:
    """``rules_path(name)`` and its modification time, in as few system calls as may be: services
    ask for their rules on every step (a page of 50 cases asks ≈900 times)."""
    from ..settings import get_settings

    override = os.path.join(get_settings().data_dir, "rules", name)
    try:
        return override, os.stat(override).st_mtime
    except (FileNotFoundError, NotADirectoryError):
        pass
    path = str(_builtin_path(name))
    return path, os.stat(path).st_mtime


#: within ``held()``: (name, model) → the rules as first loaded there
_held: ContextVar[dict | None] = ContextVar("greensword_rules_held", default=None)


@contextmanager
def held() -> Iterator[None]:
    """Within the block, each rules file is looked up once: a scan over thousands of records (the
    dashboard's overdue steps ask for the period rules ≈8 times a case) judges them all by the same
    rules without checking the files' modification times again on every step. Nested blocks share
    the outer one's rules."""
    if _held.get() is not None:
        yield
        return
    token = _held.set({})
    try:
        yield
    finally:
        _held.reset(token)


def load(name: str, model: type[M]) -> M:
    """Load ``rules/<name>`` and validate it against ``model``. The validated rules are kept until
    the file (or its override under data_dir/rules) changes: services ask for them on every step,
    and they are read-only."""
    memo = _held.get()
    if memo is not None and (name, model) in memo:
        return memo[(name, model)]
    try:
        path, mtime = _current(name)
    except FileNotFoundError:
        raise ValidationFailed(f"规则文件 {name} 不存在", code="rules.missing") from None
    try:
        value = _validated(path, mtime, model)
    except ValidationError as exc:
        raise ValidationFailed(f"规则文件 {name} 格式错误：{exc}", code="rules.invalid") from exc
    if memo is not None:
        memo[(name, model)] = value
    return value


# --- the registry of rules files --------------------------------------------------------------

def names_source(node: Any, key: str = "source") -> bool:
    """True when a YAML node (a mapping) carries ``source: {title: ...}`` (or ``<key>: {title:
    ...}``) with a non-empty title."""
    if not isinstance(node, dict):
        return False
    src = node.get(key)
    return isinstance(src, dict) and bool(str(src.get("title") or "").strip())


def unsourced(node: Any, where: str = "", key: str = "source") -> list[str]:
    """The entries of a rules file that name no source. A ``source`` covers its whole node (a
    file-level one the whole file); a node without one is sourced when every entry in it is.
    ``key`` names the source field of files that call it otherwise (the question bank's ``law``)."""
    if names_source(node, key):
        return []
    if isinstance(node, dict) and isinstance(node.get("versions"), list) and node["versions"] \
            and all(names_source(v, key) for v in node["versions"]):
        return []                   # a dated rule: its versions carry the values and their sources
    if isinstance(node, dict) and node:
        # "<prefix>_source: {title: ...}" names the source of its siblings "<prefix>_..." (and is one)
        prefixes = [str(k)[:-len("source")] for k, v in node.items()
                    if str(k).endswith("_source") and names_source({"source": v})]

        def covered(k: Any) -> bool:
            return any(str(k).startswith(p) for p in prefixes)

        return [p for k, v in node.items() if not covered(k)
                for p in unsourced(v, f"{where}.{k}" if where else str(k), key)]
    if isinstance(node, list) and node:
        return [p for i, v in enumerate(node) for p in unsourced(v, f"{where}[{i}]", key)]
    return [where or "(文件)"]


class Sourced(BaseModel):
    """A permissive model for a rules file whose domain has not typed it yet: any content, but
    every entry must name its source (see :func:`unsourced`)."""

    model_config = {"extra": "allow"}

    @model_validator(mode="before")
    @classmethod
    def _sourced(cls, raw: Any) -> Any:
        missing = unsourced(raw)
        if missing:
            raise ValueError(f"以下条目未注明来源（source.title）：{'、'.join(missing)}")
        return raw if isinstance(raw, dict) else {"entries": raw}


@dataclass(frozen=True)
class Registered:
    pattern: str                    # a path below rules/, "*" matching one name part (fnmatch)
    model: type[BaseModel]
    since: date | None = None       # the first date the file answers for (None: 2021-01-01 or earlier)
    source_key: str = "source"      # the field naming an entry's source


RULES: dict[str, Registered] = {}


def register(pattern: str, model: type[BaseModel], *, since: date | None = None,
             source_key: str = "source") -> None:
    """Declare the model of a rules file (or of files matching ``pattern``). The rules test loads
    every file under rules/ with its model for every date and fails on a file without one."""
    RULES[pattern] = Registered(pattern, model, since, source_key)


def model_for(name: str) -> Registered | None:
    """The registration for ``name`` (an exact name wins over a pattern)."""
    if name in RULES:
        return RULES[name]
    for pattern, reg in RULES.items():
        if fnmatch(name, pattern):
            return reg
    return None


# Files of domains that have not typed them yet: any content, each entry sourced. A domain
# tightens its own by registering its model under the exact file name.
for _pattern in ("cases/*.yaml", "offsite/*.yaml", "hj212/*.yaml", "complaint/*.yaml", "oversight/*.yaml",
                 "transfer/*.yaml"):
    register(_pattern, Sourced)
