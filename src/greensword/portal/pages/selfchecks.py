"""Self-check pages: the firm's form for the current period (its industry's checklist, photos),
its past self-checks; officers see completion per county and each submitted self-check."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from ...core.errors import DomainError
from ...core.pagination import PageParams
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.listing import List, ListArgs
from ...webkit.templating import NavItem, add_nav, render
from .. import selfcheck as service
from ._forms import download, export, files_of, stamp, units_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("企业自查", "/portal/selfchecks", roles=("enterprise",), order=42))


Year = Annotated[int | None, Query(ge=1949, le=2100)]


def _filters(actor, args: ListArgs, agency_id: int | None, year: int | None, contradicts: str) -> dict:
    """The list's filters; a firm is not told which of its self-checks contradict the data."""
    return {"q": args.q, "agency_id": agency_id, "year": year,
            "contradicts": contradicts == "1" and not actor.is_enterprise}


def _page(request, db, actor, error: str = "", form: dict | None = None, status_code: int = 200,
          args: ListArgs | None = None, agency_id: int | None = None, year: int | None = None, contradicts: str = ""):
    args = args or ListArgs()
    p = service.page_checks(db, actor, **_filters(actor, args, agency_id, year, contradicts), sort=args.sort,
                            page=args.params)
    ctx = {"p": p, "items": p.items, "problems": service.problems, "results": service.RESULTS, "error": error,
           "form": form or {}, "q": args.q, "agency_id": agency_id, "year": year, "contradicts": contradicts,
           "units": [] if actor.is_enterprise else units_of(db, actor)}
    if actor.is_enterprise:
        start, end, label, done = service.current(db, actor)
        from ...registry.models import Enterprise

        ctx.update(start=start, end=end, label=label, done=done,
                   checklist=service.checklist(db.get(Enterprise, actor.enterprise_id)))
    else:
        ctx["completion"] = service.completion(db, actor)
    return render(request, "portal/selfchecks.html", ctx, status_code=status_code)


@router.get("/portal/selfchecks")
def selfchecks(request: Request, db: DB, actor: CurrentActor, args: List, agency_id: int | None = None,
               year: Year = None, contradicts: str = ""):
    return _page(request, db, actor, args=args, agency_id=agency_id, year=year, contradicts=contradicts)


HEADER = ["期间开始", "期间结束", "企业", "统一社会信用代码", "属地机构", "检查清单", "提交时间", "提交人", "发现问题数",
          "与监测数据矛盾", "说明"]


@router.get("/portal/selfchecks.{fmt}")
def selfchecks_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List,
                      agency_id: int | None = None, year: Year = None, contradicts: str = ""):
    """Every self-check of the list's filters, in its order, streamed (CSV or Excel)."""
    filters = _filters(actor, args, agency_id, year, contradicts)
    total = service.page_checks(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        for s in service.iter_checks(session, actor, sort=args.sort, **filters):
            yield [s.period_start.isoformat(), s.period_end.isoformat(), s.enterprise.name, s.enterprise.uscc,
                   s.agency.name, s.checklist_name, stamp(s.submitted_at), s.submitted_by, service.problems(s),
                   "" if actor.is_enterprise else ("是" if s.contradicts_data else "否"), s.note]

    return export(request, fmt, "企业自查", HEADER, rows, total)


@router.post("/portal/selfchecks")
def submit(request: Request, db: DB, actor: CurrentActor, form: FormFields):
    results = {k[7:]: str(v) for k, v in form.items() if k.startswith("result_")}
    notes = {k[5:]: str(v) for k, v in form.items() if k.startswith("note_")}
    try:
        sc = service.submit(db, actor, results=results, notes=notes, note=str(form.get("note", "")),
                            files=files_of(form))
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, error=exc.message, form={"results": results, "notes": notes},
                     status_code=exc.status)
    return RedirectResponse(f"/portal/selfchecks/{sc.id}", status_code=303)


@router.get("/portal/selfchecks/{check_id}")
def selfcheck(request: Request, check_id: int, db: DB, actor: CurrentActor):
    return render(request, "portal/selfcheck.html", {"sc": service.get_check(db, actor, check_id),
                                                     "results": service.RESULTS})


@router.get("/portal/selfchecks/{check_id}/files/{sha}")
def selfcheck_file(check_id: int, sha: str, db: DB, actor: CurrentActor, thumb: int = 0):
    return download(*service.evidence_file(db, actor, check_id, sha), thumb)
