"""The public JSON API (no login, paged, rate-limited): facilities, a facility report,
decisions, coverage, draws and their files. Bulk files are under the console routes
(/disclosure/download/...)."""

from fastapi import APIRouter, Depends, Query, Response

from ..webkit.deps import DB
from . import service
from .ratelimit import downloads_limit, requests_limit

router = APIRouter(prefix="/disclosure", tags=["disclosure"], dependencies=[Depends(requests_limit)])


@router.get("/facilities")
def facilities(db: DB, q: str = Query("", max_length=5000), region: str = Query("", max_length=12),
               industry: str = Query("", max_length=10), credit_class: str = Query("", max_length=16),
               page: int = 1, size: int = 20) -> dict:
    return service.search(db, q=q, region=region, industry=industry, credit_class=credit_class, page=page, size=size)


@router.get("/facilities/{key}")
def facility(key: str, db: DB) -> dict:
    return service.facility(db, key[:40])


@router.get("/decisions")
def decisions(db: DB, uscc: str = Query("", max_length=18), page: int = 1, size: int = 50) -> dict:
    rows = service.dataset(db, "decisions", uscc=uscc or None)
    size = min(max(size, 1), 100)
    start = (max(page, 1) - 1) * size
    return {"page": page, "size": size, "total": len(rows), "items": rows[start:start + size]}


@router.get("/coverage")
def coverage(db: DB) -> dict:
    return service.coverage(db)


@router.get("/draws")
def draws(db: DB) -> list[dict]:
    from . import sources

    return sources.draws(db)


@router.get("/draws/{plan_id}/{name}", dependencies=[Depends(downloads_limit)])
def draw_file(plan_id: int, name: str, db: DB) -> Response:
    files = service.draw_files(db, plan_id)
    if name not in files:
        from ..core.errors import NotFound

        raise NotFound(f"没有文件 {name}", code="disclosure.no_file")
    return Response(files[name], media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="draw-{plan_id}-{name}"'})
