"""Case-file review console: rounds, the files drawn and their reviewers, scoring, appeals,
per-unit results."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ..cases import queries as case_queries
from ..core.auth import check_agency, require_agency_user
from ..core.errors import DomainError, ValidationFailed
from ..core.timeutil import now
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor, FormFields
from ..webkit.listing import List
from ..webkit.templating import NavItem, add_nav, render
from . import service
from .models import ReviewFile, ReviewRound

router = APIRouter(include_in_schema=False)
add_nav(NavItem("案卷评查", "/review", roles=("reviewer", "leader", "admin"), order=55))


def _round_owner(actor, rnd: ReviewRound) -> None:
    """A round's files, scores and reviewer names belong to the reviewing agency's subtree."""
    require_agency_user(actor, "案卷评查")
    check_agency(actor, rnd.agency.path if rnd.agency else None, "该评查批次")


def _file_access(db, actor, f: ReviewFile) -> None:
    """The reviewing agency, the file's reviewers and the reviewed unit (which may appeal) see a file."""
    require_agency_user(actor, "案卷评查")
    rnd = db.get(ReviewRound, f.round_id)
    unit = db.get(Agency, f.unit_id)
    if actor.username in (f.reviewer, getattr(f, "second_reviewer", None)):
        return
    if rnd is not None and rnd.agency is not None and actor.covers(rnd.agency.path):
        return
    check_agency(actor, unit.path if unit else None, "该评查案卷")


@router.get("/review")
def rounds(request: Request, db: DB, actor: CurrentActor, args: List,
           year: Annotated[int | None, Query(ge=1949, le=2100)] = None, published: str = "",
           agency_id: int | None = None):
    require_agency_user(actor, "案卷评查")
    p = service.page_rounds(db, actor, q=args.q, year=year, published=published, agency_id=agency_id,
                            sort=args.sort, page=args.params)
    mine = service.my_files(db, actor)
    agencies = [a for a in db.execute(select(Agency).where(Agency.level.in_(("province", "city")))
                                      .order_by(Agency.division_code)).scalars() if actor.covers(a.path)]
    return render(request, "review/rounds.html", {"p": p, "rounds": p.items, "mine": mine, "agencies": agencies,
                                                  "today": now().date(), "q": args.q, "year": year,
                                                  "published": published, "agency_id": agency_id})


@router.post("/review")
def create(db: DB, actor: CurrentActor, agency_id: int = Form(...), name: str = Form(...), start: date = Form(...),
           end: date = Form(...), seed: str = Form(...)):
    rnd = service.create_round(db, actor, agency_id=agency_id, name=name, start=start, end=end, seed=seed)
    return RedirectResponse(f"/review/rounds/{rnd.id}", status_code=303)


@router.get("/review/rounds/{round_id}")
def round_page(request: Request, round_id: int, db: DB, actor: CurrentActor):
    rnd = service.get_round(db, round_id)
    _round_owner(actor, rnd)
    mine = service.round_files(db, rnd)
    cases = case_queries.refs(db, (f.case_id for f in mine))
    files = [(f, cases[f.case_id]) for f in mine if f.case_id in cases]
    return render(request, "review/round.html", {"rnd": rnd, "files": files, "results": service.unit_results(db, rnd),
                                                 "verified": service.verify_round(db, rnd)})


@router.post("/review/rounds/{round_id}/publish")
def publish(round_id: int, db: DB, actor: CurrentActor):
    rnd = service.get_round(db, round_id)
    _round_owner(actor, rnd)
    service.publish(db, actor, rnd)
    return RedirectResponse(f"/review/rounds/{round_id}", status_code=303)


def _file_ctx(db, f, error="", typed=None):
    sheet = service.file_sheet(db, f)
    first = service.sheet_rows(sheet, f.deductions or {}, f.reasons or {}) if f.score is not None else []
    second = (service.sheet_rows(sheet, f.second_deductions or {}, f.second_reasons or {})
              if f.status == "final" else [])
    vetoes = {v.code: v.text for v in sheet.veto}
    return {"f": f, "case": case_queries.refs(db, [f.case_id]).get(f.case_id), "sheet": sheet, "error": error,
            "unit": db.get(Agency, f.unit_id), "rows": first, "second_rows": second, "veto_names": vetoes,
            "typed": typed}


@router.get("/review/files/{file_id}")
def file_page(request: Request, file_id: int, db: DB, actor: CurrentActor):
    f = service.get_file(db, file_id)
    _file_access(db, actor, f)
    return render(request, "review/file.html", _file_ctx(db, f))


def _scores(form) -> tuple[dict[str, float], list[str], dict[str, str]]:
    """Deductions (``ded-<item>``), veto items (``veto-<code>``) and reasons (``why-<item>``)."""
    deductions = {}
    for k, v in form.items():
        if k.startswith("ded-") and str(v).strip() not in ("", "0"):
            try:
                deductions[k[4:]] = float(str(v).strip())
            except ValueError:
                raise ValidationFailed(f"扣分“{v}”不是数字", code="review.bad_deduction") from None
    vetoes = [k[5:] for k, v in form.items() if k.startswith("veto-") and v == "1"]
    reasons = {k[4:]: str(v) for k, v in form.items() if k.startswith("why-") and str(v).strip()}
    return deductions, vetoes, reasons


def _redo(request, db, file_id, fn, form=None):
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        typed = dict(form.items()) if form is not None else None      # what was typed stays on the page
        return render(request, "review/file.html", _file_ctx(db, db.get(ReviewFile, file_id), exc.message, typed),
                      status_code=exc.status)
    return RedirectResponse(f"/review/files/{file_id}", status_code=303)


@router.post("/review/files/{file_id}/score")
def score(request: Request, file_id: int, db: DB, actor: CurrentActor, form: FormFields):

    def act():
        ded, vetoes, why = _scores(form)
        service.score_file(db, actor, file_id, deductions=ded, vetoes=vetoes, reasons=why,
                           comment=str(form.get("comment", "")))
    return _redo(request, db, file_id, act, form)


@router.post("/review/files/{file_id}/appeal")
def appeal(request: Request, file_id: int, db: DB, actor: CurrentActor, reason: str = Form("")):
    return _redo(request, db, file_id, lambda: service.appeal(db, actor, file_id, reason))


@router.post("/review/files/{file_id}/decide")
def decide(request: Request, file_id: int, db: DB, actor: CurrentActor, form: FormFields):

    def act():
        ded, vetoes, why = _scores(form)
        service.decide_appeal(db, actor, file_id, deductions=ded, vetoes=vetoes, reasons=why)
    return _redo(request, db, file_id, act, form)
