"""Registry JSON API under /api/v1/registry (thin: every rule lives in the service)."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel

from ..core.pagination import MAX_PAGE, PageParams
from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import csv_response, xlsx_response
from . import io as registry_io
from . import service
from .schemas import (
    AgencyIn,
    AgencyOut,
    EnterpriseIn,
    EnterpriseOut,
    OfficerIn,
    OfficerOut,
    PointIn,
    PointOut,
)

router = APIRouter(prefix="/registry", tags=["registry"])


class PageOut(BaseModel):
    total: int
    page: int
    #: rows per page (``size`` is the older name of the same value)
    page_size: int
    size: int
    pages: int


class OfficerPage(PageOut):
    items: list[OfficerOut]


class EnterprisePage(PageOut):
    items: list[EnterpriseOut]


class PointPage(PageOut):
    items: list[PointOut]


class AgencyPage(PageOut):
    items: list[AgencyOut]


class ImportOut(BaseModel):
    entity: str
    created: int
    updated: int
    message: str


def _page(p, out, response: Response):
    response.headers["X-Total-Count"] = str(p.total)
    return out(items=p.items, total=p.total, page=p.page, page_size=p.size, size=p.size, pages=p.pages)


PageSize = Annotated[int | None, Query(ge=1, le=500, description="每页条数（1–500；同 size）")]


@router.get("/agencies", response_model=AgencyPage)
def agencies(response: Response, db: DB, actor: CurrentActor, level: str | None = None, parent_id: int | None = None,
             q: Annotated[str, Query(max_length=100)] = "", sort: Annotated[str, Query(max_length=40)] = "",
             page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1, size: Annotated[int, Query(ge=1, le=500)] = 50,
             page_size: PageSize = None):
    """One page of the agencies in the caller's jurisdiction (by division code unless ``sort``:
    code, name, level; ``q`` searches name and code), with the total (also ``X-Total-Count``).
    Was a bare list of every agency (API change)."""
    return _page(service.page_agencies(db, actor, level=level, parent_id=parent_id, q=q.strip(), sort=sort,
                                       page=PageParams(page=page, size=page_size or size)), AgencyPage, response)


@router.post("/agencies", response_model=AgencyOut, status_code=201)
def create_agency(body: AgencyIn, db: DB, actor: CurrentActor):
    return service.create_agency(db, actor, body)


@router.get("/agencies/{agency_id}", response_model=AgencyOut)
def agency(agency_id: int, db: DB, actor: CurrentActor):
    return service.get_agency(db, actor, agency_id)


@router.get("/officers", response_model=OfficerPage)
def officers(response: Response, db: DB, actor: CurrentActor, agency_id: int | None = None, q: str | None = None,
             active: bool | None = None, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
             size: Annotated[int, Query(ge=1, le=500)] = 50, page_size: PageSize = None):
    return _page(service.list_officers(db, actor, agency_id=agency_id, q=q, active=active,
                                       page=PageParams(page=page, size=page_size or size)), OfficerPage, response)


@router.post("/officers", response_model=OfficerOut, status_code=201)
def create_officer(body: OfficerIn, db: DB, actor: CurrentActor):
    return service.save_officer(db, actor, body)


@router.get("/officers/{officer_id}", response_model=OfficerOut)
def officer(officer_id: int, db: DB, actor: CurrentActor):
    return service.get_officer(db, actor, officer_id)


@router.put("/officers/{officer_id}", response_model=OfficerOut)
def update_officer(officer_id: int, body: OfficerIn, db: DB, actor: CurrentActor):
    return service.save_officer(db, actor, body, officer_id)


@router.get("/enterprises", response_model=EnterprisePage)
def enterprises(response: Response, db: DB, actor: CurrentActor, agency_id: int | None = None, q: str | None = None,
                credit_class: str | None = None, key_polluter: str | None = None,
                positive_list: bool | None = None, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                size: Annotated[int, Query(ge=1, le=500)] = 50, page_size: PageSize = None):
    return _page(service.list_enterprises(db, actor, agency_id=agency_id, q=q, credit_class=credit_class,
                                          key_polluter=key_polluter, positive_list=positive_list,
                                          page=PageParams(page=page, size=page_size or size)), EnterprisePage, response)


@router.post("/enterprises", response_model=EnterpriseOut, status_code=201)
def create_enterprise(body: EnterpriseIn, db: DB, actor: CurrentActor):
    return service.save_enterprise(db, actor, body)


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def enterprise(enterprise_id: int, db: DB, actor: CurrentActor):
    return service.get_enterprise(db, actor, enterprise_id)


@router.put("/enterprises/{enterprise_id}", response_model=EnterpriseOut)
def update_enterprise(enterprise_id: int, body: EnterpriseIn, db: DB, actor: CurrentActor):
    return service.save_enterprise(db, actor, body, enterprise_id)


@router.get("/points", response_model=PointPage)
def points(response: Response, db: DB, actor: CurrentActor, agency_id: int | None = None, enterprise_id: int | None = None,
           kind: str | None = None, q: str | None = None, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
           size: Annotated[int, Query(ge=1, le=500)] = 50, page_size: PageSize = None):
    return _page(service.list_points(db, actor, agency_id=agency_id, enterprise_id=enterprise_id, kind=kind, q=q,
                                     page=PageParams(page=page, size=page_size or size)), PointPage, response)


@router.post("/points", response_model=PointOut, status_code=201)
def create_point(body: PointIn, db: DB, actor: CurrentActor):
    return service.save_point(db, actor, body)


@router.get("/points/{point_id}", response_model=PointOut)
def point(point_id: int, db: DB, actor: CurrentActor):
    return service.get_point(db, actor, point_id)


@router.put("/points/{point_id}", response_model=PointOut)
def update_point(point_id: int, body: PointIn, db: DB, actor: CurrentActor):
    return service.save_point(db, actor, body, point_id)


@router.post("/import/{entity}", response_model=ImportOut)
def import_file(entity: str, file: Annotated[UploadFile, File()], db: DB, actor: CurrentActor):
    """All-or-nothing import of a CSV or .xlsx file; errors list every bad row (line, column, reason)."""
    result = registry_io.import_file(db, actor, entity, file.file.read(), file.filename or "")
    return ImportOut(entity=result.entity, created=result.created, updated=result.updated, message=result.message())


@router.get("/export/{entity}.{fmt}")
def export_file(request: Request, entity: str, fmt: str, db: DB, actor: CurrentActor,
                q: Annotated[str, Query(max_length=100)] = "", agency_id: int | None = None, credit_class: str = "",
                key_polluter: str | None = None, positive_list: str = "", active: str = "", certified: str = "",
                kind: str = ""):
    """Every row of a directory in the import layout, streamed (CSV with a BOM, or xlsx written row
    by row), with the console list's filters; ``X-Total-Count`` gives the number of records."""
    from ..core.errors import ValidationFailed

    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("导出格式应为csv或xlsx", code="registry.export_format")
    if entity not in registry_io.ENTITIES:
        raise ValidationFailed(f"未知的名录“{entity[:20]}”", code="registry.import_entity")
    flag = lambda v: None if v in ("", None) else v == "1"  # noqa: E731
    filters: dict = {}
    total = None
    if entity == "officers":
        filters = {"q": q or None, "agency_id": agency_id, "active": flag(active), "certified": flag(certified)}
        total = service.list_officers(db, actor, page=PageParams(size=1), **filters).total
    elif entity == "enterprises":
        filters = {"q": q or None, "agency_id": agency_id, "credit_class": credit_class or None,
                   "key_polluter": key_polluter if key_polluter not in (None, "*") else None,
                   "positive_list": flag(positive_list)}
        total = service.list_enterprises(db, actor, page=PageParams(size=1), **filters).total
    elif entity == "points":
        filters = {"q": q or None, "kind": kind or None}
        total = service.list_points(db, actor, page=PageParams(size=1), **filters).total
    elif entity == "agencies":
        total = service.page_agencies(db, actor, page=PageParams(size=1)).total

    def rows(session):
        return registry_io.export_iter(session, actor, entity, filters)[1]

    header = [c.title for c in registry_io.SPECS[entity]]
    name = f"{registry_io.ENTITIES[entity]}名录-{now():%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", header, rows, total)
    return xlsx_response(request, f"{name}.xlsx", registry_io.ENTITIES[entity], header, rows, total)
