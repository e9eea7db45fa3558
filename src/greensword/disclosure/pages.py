"""公开查询 (no login): facility search, facility report, data coverage, draws; bulk CSV/Parquet."""

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ..core.errors import DomainError, NotFound
from ..webkit.deps import DB
from ..webkit.listing import List
from ..webkit.templating import render
from . import service, sources
from .ratelimit import downloads_limit, requests_limit

router = APIRouter(prefix="/disclosure", include_in_schema=False, dependencies=[Depends(requests_limit)])


@router.get("")
def search_page(request: Request, db: DB, q: str = Query("", max_length=5000), region: str = Query("", max_length=12),
                industry: str = Query("", max_length=10), page: int = 1):
    error, res = "", None
    if q or region or industry:
        try:
            res = service.search(db, q=q, region=region, industry=industry, page=page)
        except DomainError as exc:
            error = exc.message
    return render(request, "disclosure/search.html", {"res": res, "q": q, "region": region, "industry": industry,
                                                      "regions": sources.regions(db), "error": error})


@router.get("/facility/{key}")
def facility_page(request: Request, key: str, db: DB):
    return render(request, "disclosure/facility.html", {"f": service.facility(db, key[:40])})


@router.get("/facility/{key}/{kind}.{fmt}", dependencies=[Depends(downloads_limit)])
def facility_download(key: str, kind: str, fmt: str, db: DB):
    f = service.facility(db, key[:40])["facility"]
    return _file(db, kind, fmt, uscc=f["uscc"], name=f"{f['uscc']}-{kind}")


@router.get("/download/{kind}.{fmt}", dependencies=[Depends(downloads_limit)])
def download(kind: str, fmt: str, db: DB):
    return _file(db, kind, fmt, name=kind)


def _file(db, kind: str, fmt: str, *, uscc: str | None = None, name: str) -> Response:
    if kind not in service.KINDS or fmt not in ("csv", "parquet"):
        raise NotFound("没有该数据集或格式", code="disclosure.no_dataset")
    rows = service.dataset(db, kind, uscc=uscc)
    cols = service.KINDS[kind]
    if fmt == "csv":
        return Response(service.to_csv(rows, cols), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(service.to_parquet(rows, cols), media_type="application/vnd.apache.parquet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'})


@router.get("/about")
def about(request: Request, db: DB):
    return render(request, "disclosure/about.html", {"c": service.coverage(db), "kinds": service.KINDS})


@router.get("/draws")
def draws_page(request: Request, db: DB, args: List):
    p = sources.draws(db, args.params)
    return render(request, "disclosure/draws.html", {"p": p, "draws": p.items, "files": service.DRAW_FILES})
