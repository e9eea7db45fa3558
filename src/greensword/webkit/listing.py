"""The console's lists, one pattern for all: query arguments (page, size, sort, search) checked
into 422 pages, links that keep the filters while changing one argument, and exports that
stream every row (CSV with a BOM for Excel, xlsx written row by row) with their own session,
so the request's session can close and no export holds all rows in memory."""

import csv
import io
import os
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..core.db import session_scope
from ..core.errors import ValidationFailed
from ..core.pagination import MAX_PAGE, Page, PageParams, Sort, matches, page_list
from . import exports

#: Excel would run a cell that starts with one of these as a formula (CSV injection)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


#: Largest page a list hands out, in the console and the JSON API (a client wanting everything
#: walks the pages or uses an export).
API_MAX_PAGE_SIZE = MAX_PAGE_SIZE = 500

T = TypeVar("T")


@dataclass(frozen=True)
class ListArgs:
    """A list's arguments, from the console (``size``) or the JSON API (``page_size``)."""

    page: int = 1
    size: int = 50
    sort: str = ""
    q: str = ""

    @property
    def page_size(self) -> int:
        return self.size

    @property
    def params(self) -> PageParams:
        return PageParams(page=self.page, size=self.size)


def _list_args(page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
               size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
               sort: Annotated[str, Query(max_length=40)] = "",
               q: Annotated[str, Query(max_length=100)] = "") -> ListArgs:
    return ListArgs(page=page, size=size, sort=sort.strip(), q=q.strip())


def _api_args(page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="页码，从 1 开始")] = 1,
              page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数（1–500）")] = 50,
              sort: Annotated[str, Query(max_length=40, description="排序键，前加 - 为降序")] = "",
              q: Annotated[str, Query(max_length=100, description="搜索（% 与 _ 按字面匹配）")] = "") -> ListArgs:
    return _list_args(page, page_size, sort, q)


#: ``page``/``size``/``sort``/``q`` of a console list; bad values answer a 422 page.
List = Annotated[ListArgs, Depends(_list_args)]
#: ``page``/``page_size``/``sort``/``q`` of a JSON list; bad values answer 422 problem JSON.
ApiList = Annotated[ListArgs, Depends(_api_args)]


class PageOf(BaseModel, Generic[T]):
    """One page of a JSON list: the rows, the total of the whole list and where this page is."""

    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int


def api_page(response: Response, p: Page, out: Callable[[Any], Any] = lambda x: x) -> dict:
    """A page for the JSON API: ``items`` (each through ``out``), ``total`` (also in ``X-Total-Count``)."""
    response.headers["X-Total-Count"] = str(p.total)
    return {"items": [out(x) for x in p.items], "total": p.total, "page": p.page, "page_size": p.size,
            "pages": p.pages}


def api_rows(response: Response, rows: Sequence[Any], args: ListArgs, *, search: Sequence[str] = (),
             sort: Sort | None = None, out: Callable[[Any], Any] = lambda x: x) -> dict:
    """A page of a list computed in Python (per-unit statistics, a ranking, reminders) for the JSON
    API, in the same envelope as every list: ``q`` searches the ``search`` fields of each row (dict
    keys or attributes) literally, ``sort`` (keys naming functions of a row) orders it; a list with
    no sorts refuses a ``sort`` argument (422) rather than ignore it."""
    def field(x, k):
        return x.get(k) if isinstance(x, dict) else getattr(x, k, None)

    if sort is None and args.sort:
        raise ValidationFailed("此列表不支持排序参数 sort", code="list.bad_sort",
                               details=[{"column": "sort", "reason": "不是可排序的列"}])
    if args.q:
        rows = [x for x in rows if matches(args.q, *(str(field(x, k) or "") for k in search))]
    return api_page(response, page_list(list(rows), args.params, sort=sort, sort_value=args.sort), out)


#: a redirect's signed message (webkit.flash): shown once, never carried into the page's links
_FLASH = ("error", "sig")


def url_with(request: Request, **changes: Any) -> str:
    """This page's query string with some arguments changed (None/"" removes one). A new sort or
    filter starts again at page 1; a redirect's message (``error``/``sig``) is left behind."""
    if any(k != "page" for k in changes):
        changes.setdefault("page", None)
    kept = [(k, v) for k, v in request.query_params.multi_items()
            if k not in changes and k not in _FLASH and v != ""]
    kept += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(kept)


def same_page(path: str, query: str, keys: Collection[str]) -> str:
    """``path`` (this list's own, fixed by the caller) with ``query`` — what the page was showing
    when a form on it was posted — reduced to the list's own ``keys``: after an action the list
    comes back on the same tab, filters, sort and page, and nothing posted can lead elsewhere (no
    scheme, host or other path survives; values are re-encoded and bounded)."""
    kept = [(k, v[:100]) for k, v in parse_qsl(query.lstrip("?")[:2000])[:30] if k in keys and v]
    return path + ("?" + urlencode(kept) if kept else "")


def safe_cell(value: Any) -> Any:
    """A cell that Excel will not run as a formula: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


Rows = Callable[[Session], Iterable[Sequence[Any]]]


def _csv_chunks(engine, header: Sequence[str], rows: Rows, batch: int = 500) -> Iterator[bytes]:
    buf = io.StringIO()
    w = csv.writer(buf)
    buf.write("\ufeff")                             # BOM: Excel opens the file as UTF-8
    w.writerow(header)
    with session_scope(engine) as session:
        for n, row in enumerate(rows(session), 1):
            w.writerow([safe_cell(v) for v in row])
            if n % batch == 0:
                yield buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue().encode("utf-8")


def _csv_file(header: Sequence[str]) -> exports.Writer:
    def write(path: Path, rows: Iterable[Sequence[Any]]) -> None:
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:     # with the BOM, as streamed
            w = csv.writer(fh)
            w.writerow(header)
            for row in rows:
                w.writerow([safe_cell(v) for v in row])
    return write


def _headers(filename: str, total: int | None) -> dict[str, str]:
    headers = {"Content-Disposition": exports.disposition(filename)}
    if total is not None:
        headers["X-Total-Count"] = str(total)
    return headers


def csv_response(request: Request, filename: str, header: Sequence[str], rows: Rows,
                 total: int | None = None) -> Response:
    """Every row as CSV, sent while it is read (the download starts at once and the browser shows
    its progress); ``total`` goes into ``X-Total-Count``. A long one asked for from the console
    runs as an export job with its progress page instead (``webkit.exports``)."""
    if exports.wants_job(request, total):
        return exports.start(request, filename=filename, fmt="csv", media_type=CSV, total=total or 0, rows=rows,
                             write=_csv_file(header))
    return StreamingResponse(_csv_chunks(request.app.state.engine, header, rows),
                             media_type=CSV, headers=_headers(filename, total))


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_file(title: str, header: Sequence[str]) -> exports.Writer:
    def write(path: Path, rows: Iterable[Sequence[Any]]) -> None:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)          # rows go to a temporary file, not to memory
        ws = wb.create_sheet(title[:31])
        ws.append(list(header))
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        with open(path, "wb") as fh:
            wb.save(fh)
    return write


def _xlsx_chunks(engine, title: str, header: Sequence[str], rows: Rows) -> Iterator[bytes]:
    fd, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    path = Path(name)
    try:
        with session_scope(engine) as session:
            _xlsx_file(title, header)(path, rows(session))
        with open(path, "rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def xlsx_response(request: Request, filename: str, title: str, header: Sequence[str], rows: Rows,
                  total: int | None = None) -> Response:
    """Every row as an Excel sheet. The format is built whole before its first byte, so a long one
    asked for from the console runs as an export job with its progress page (``webkit.exports``)."""
    if exports.wants_job(request, total):
        return exports.start(request, filename=filename, fmt="xlsx", media_type=XLSX, total=total or 0, rows=rows,
                             write=_xlsx_file(title, header))
    return StreamingResponse(_xlsx_chunks(request.app.state.engine, title, header, rows),
                             media_type=XLSX, headers=_headers(filename, total))
