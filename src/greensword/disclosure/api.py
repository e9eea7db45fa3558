"""The public JSON API (no login, paged, rate-limited): facilities, a facility report,
decisions, coverage, draws and their files. Bulk files are under the console routes
(/disclosure/download/...)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ..core.pagination import MAX_PAGE, PageParams
from ..webkit.deps import DB
from ..webkit.listing import API_MAX_PAGE_SIZE, PageOf, api_page
from . import service
from .ratelimit import downloads_limit, requests_limit

router = APIRouter(prefix="/disclosure", tags=["disclosure"], dependencies=[Depends(requests_limit)])


@router.get("/facilities")
def facilities(response: Response, db: DB, q: str = Query("", max_length=5000), region: str = Query("", max_length=12),
               industry: str = Query("", max_length=10), credit_class: str = Query("", max_length=16),
               page: Annotated[int, Query(ge=1, le=10000)] = 1, size: Annotated[int, Query(ge=1, le=100)] = 20,
               page_size: Annotated[int | None, Query(ge=1, le=100, description="每页条数（同 size）")] = None) -> dict:
    """One page of facilities with the total (also ``X-Total-Count``)."""
    res = service.search(db, q=q, region=region, industry=industry, credit_class=credit_class, page=page,
                         size=page_size or size)
    response.headers["X-Total-Count"] = str(res["total"])
    return {**res, "page_size": res["size"]}


@router.get("/facilities/{key}")
def facility(key: str, db: DB) -> dict:
    return service.facility(db, key[:40])


@router.get("/decisions")
def decisions(response: Response, db: DB, uscc: str = Query("", max_length=18),
              page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1, size: Annotated[int, Query(ge=1, le=100)] = 50,
              page_size: Annotated[int | None, Query(ge=1, le=100, description="每页条数（同 size）")] = None) -> dict:
    """One page of the published penalty decisions with the total (also ``X-Total-Count``)."""
    rows = service.dataset(db, "decisions", uscc=uscc or None)
    size = page_size or size
    start = (page - 1) * size
    response.headers["X-Total-Count"] = str(len(rows))
    return {"page": page, "size": size, "page_size": size, "total": len(rows), "pages": max(1, -(-len(rows) // size)),
            "items": rows[start:start + size]}


@router.get("/coverage")
def coverage(db: DB) -> dict:
    return service.coverage(db)


@router.get("/draws")
def draws(response: Response, db: DB, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
          page_size: Annotated[int, Query(ge=1, le=API_MAX_PAGE_SIZE)] = 50) -> PageOf[dict]:
    """One page of the published draws (latest first) with the total (also ``X-Total-Count``)."""
    from . import sources

    return api_page(response, sources.draws(db, PageParams(page=page, size=page_size)))


@router.get("/draws/{plan_id}/{name}", dependencies=[Depends(downloads_limit)])
def draw_file(plan_id: int, name: str, db: DB) -> Response:
    files = service.draw_files(db, plan_id)
    if name not in files:
        from ..core.errors import NotFound

        raise NotFound(f"没有文件 {name}", code="disclosure.no_file")
    return Response(files[name], media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="draw-{plan_id}-{name}"'})
