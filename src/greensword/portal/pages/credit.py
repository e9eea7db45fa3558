"""Credit record and 信用修复 pages: the firm's record with its repair applications, the agency's
review list."""

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from ...core.errors import DomainError
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.listing import List, ListArgs
from ...webkit.templating import NavItem, add_nav, render
from .. import credit
from ..uploads import Upload, read
from ._forms import units_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("信用记录", "/portal/credit", roles=("enterprise",), order=34),
        NavItem("信用修复审核", "/portal/credit/reviews", roles=("officer", "leader"), order=42))


def _page(request, db, actor, error: str = "", status_code: int = 200):
    return render(request, "portal/credit.html", {
        "entries": credit.record(db, actor), "rules": credit.rules(), "status": credit.STATUS, "error": error},
        status_code=status_code)


@router.get("/portal/credit")
def credit_page(request: Request, db: DB, actor: CurrentActor):
    if not actor.is_enterprise:
        return RedirectResponse("/portal/credit/reviews", status_code=303)
    return _page(request, db, actor)


@router.post("/portal/credit/{case_id}/apply")
def credit_apply(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    uploads = [Upload(f.filename or "", f.file.read())
               for f in form.getlist("files") if isinstance(f, UploadFile) or hasattr(f, "read")]
    try:
        credit.apply(db, actor, case_id, explanation=str(form.get("explanation", "")),
                     commitment=form.get("commitment") == "1", uploads=uploads)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, exc.message, exc.status)
    return RedirectResponse("/portal/credit", status_code=303)


def _reviews(request, db, actor, error: str = "", status_code: int = 200, args=None, status: str = "pending",
             agency_id: int | None = None):
    from ...core.timeutil import now

    args = args or ListArgs()
    p = credit.page_reviews(db, actor, status="" if status == "all" else status, q=args.q, agency_id=agency_id,
                            sort=args.sort, page=args.params)
    return render(request, "portal/credit_reviews.html", {
        "p": p, "rows": p.items, "status": credit.STATUS, "filter_status": status, "q": args.q,
        "agency_id": agency_id, "units": units_of(db, actor), "today": now().date(), "error": error},
        status_code=status_code)


@router.get("/portal/credit/reviews")
def credit_reviews(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "pending",
                   agency_id: int | None = None):
    return _reviews(request, db, actor, args=args, status=status, agency_id=agency_id)


@router.post("/portal/credit/reviews/{repair_id}")
def credit_review(request: Request, repair_id: int, db: DB, actor: CurrentActor, form: FormFields):
    try:
        credit.review(db, actor, repair_id, approve=form.get("approve") == "1", reason=str(form.get("reason", "")))
    except DomainError as exc:
        db.rollback()
        return _reviews(request, db, actor, exc.message, exc.status)
    return RedirectResponse("/portal/credit/reviews", status_code=303)


@router.get("/portal/credit/repairs/{repair_id}/files/{index}")
def credit_file(repair_id: int, index: int, db: DB, actor: CurrentActor):
    r = credit.get_repair(db, actor, repair_id)
    meta = r.evidence[index] if 0 <= index < len(r.evidence) else None
    if meta is None:
        from ...core.errors import NotFound

        raise NotFound("附件不存在", code="portal.file_not_found")
    return Response(read(meta["sha256"]), media_type=meta["mime"])
