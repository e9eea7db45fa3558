"""Lists shared by services, the API and the console: page/limit arguments, whitelisted sort
keys, the filters every list has (a choice among known values, a literal text search), one page
of a query with its total, and every row of a query in batches (for exports)."""

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from .errors import ValidationFailed

T = TypeVar("T")

MAX_PAGE = 1_000_000


class PageParams(BaseModel):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    size: int = Field(50, ge=1, le=500)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
    #: the sort in force (``key`` ascending, ``-key`` descending), for the column headers
    sort: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """Number of the first row on this page (1-based; 0 on an empty list)."""
        return min(self.total, (self.page - 1) * self.size + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.size)


@dataclass(frozen=True)
class Sort:
    """The sort keys a list accepts (never a column name taken from the request): ``key`` sorts
    ascending, ``-key`` descending; ``tiebreak`` columns keep the order stable across pages."""

    keys: Mapping[str, Sequence[Any] | Callable[[bool], Sequence[Any]]]
    default: str
    tiebreak: Sequence[Any] = field(default_factory=tuple)
    #: zh-CN names of the keys, for the error message
    labels: Mapping[str, str] = field(default_factory=dict)

    def parse(self, value: str | None) -> tuple[str, bool]:
        text = (value or "").strip() or self.default
        desc = text.startswith("-")
        key = text[1:] if desc else text
        if key not in self.keys:
            allowed = "、".join(self.labels.get(k, k) for k in self.keys)
            raise ValidationFailed(f"不能按“{text[:40]}”排序，可排序的列：{allowed}", code="list.bad_sort",
                                   details=[{"column": "sort", "reason": "不是可排序的列"}])
        return key, desc

    def normal(self, value: str | None) -> str:
        key, desc = self.parse(value)
        return f"-{key}" if desc else key

    def order_by(self, value: str | None) -> list[Any]:
        key, desc = self.parse(value)
        spec = self.keys[key]
        if callable(spec):                  # a key that orders in its own way, given the direction
            return list(spec(desc)) + list(self.tiebreak)
        cols = [c.desc().nulls_last() if desc else c.asc().nulls_last() for c in spec]
        return cols + list(self.tiebreak)


def where_choice(stmt, column, value: str | None, known: Collection[str], label: str, code: str):
    """``stmt`` narrowed to ``column == value`` when a value is chosen ("" or None = 全部); a value
    outside ``known`` is a 422 naming it (never an empty list)."""
    if not value:
        return stmt
    if value not in known:
        raise ValidationFailed(f"未知的{label}“{value[:20]}”", code=code)
    return stmt.where(column == value)


def search_clause(q: str | None, *columns):
    """Any of ``columns`` contains ``q``, with % and _ taken literally (None when nothing is searched)."""
    if not q:
        return None
    return or_(*(c.contains(q, autoescape=True) for c in columns)) if columns else false()


def where_search(stmt, q: str | None, *columns):
    """``stmt`` narrowed to rows where any of ``columns`` contains ``q`` literally ("" = no search)."""
    clause = search_clause(q, *columns)
    return stmt if clause is None else stmt.where(clause)


def matches(q: str | None, *values: Any) -> bool:
    """The same search for a list computed in Python: any of ``values`` contains ``q``."""
    return not q or any(q in (v or "") for v in values)


def count(session: Session, stmt) -> int:
    return session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def page_of(session: Session, stmt, page: PageParams | None = None, *, sort: Sort | None = None,
            sort_value: str | None = None, unique: bool = False) -> Page:
    """One page of ``stmt`` (ordered by ``sort``/``sort_value`` when given) with the total."""
    page = page or PageParams()
    total = count(session, stmt)
    ordered = stmt.order_by(None).order_by(*sort.order_by(sort_value)) if sort is not None else stmt
    result = session.execute(ordered.offset(page.offset).limit(page.size))
    result = result.unique() if unique else result
    items = list(result.scalars() if len(stmt.column_descriptions) == 1 else result)
    return Page(items, total, page.page, page.size, sort.normal(sort_value) if sort is not None else "")


def iter_all(session: Session, stmt, *, batch: int = 1000, sort: Sort | None = None,
             sort_value: str | None = None) -> Iterator[Any]:
    """Every row of ``stmt`` in batches (``yield_per`` streams from the cursor, so a 20,000-row
    export never holds all rows in memory): entities for a one-entity select, else row tuples."""
    if sort is not None:
        stmt = stmt.order_by(None).order_by(*sort.order_by(sort_value))
    result = session.execute(stmt.execution_options(yield_per=batch))
    yield from (result.scalars() if len(stmt.column_descriptions) == 1 else result)


def sort_list(items: list[T], sort: Sort, sort_value: str | None) -> list[T]:
    """A list computed in Python in ``sort``'s order: for such a list each key of the ``Sort`` names
    functions of an item (instead of columns); empty values (None, "") last either way; the list's
    own order breaks ties."""
    key, desc = sort.parse(sort_value)
    getters = sort.keys[key]
    if callable(getters):
        getters = getters(desc)

    def value(x):
        return tuple(g(x) for g in getters)

    empty = [x for x in items if any(v is None or v == "" for v in value(x))]
    full = [x for x in items if not any(v is None or v == "" for v in value(x))]
    return sorted(full, key=value, reverse=desc) + empty


def page_list(items: list[T], page: PageParams | None = None, *, sort: Sort | None = None,
              sort_value: str | None = None) -> Page[T]:
    """One page of a list computed in Python (a ranking), with its total; sorted by ``sort`` (whose
    keys name functions of an item, see ``sort_list``) when given."""
    page = page or PageParams()
    if sort is not None:
        items = sort_list(items, sort, sort_value)
    return Page(items[page.offset:page.offset + page.size], len(items), page.page, page.size,
                sort.normal(sort_value) if sort is not None else "")
