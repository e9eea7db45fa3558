"""正面清单 pages: the firm's criteria check and application; the officers' list (applications,
proposals, reviews after a confirmed lead, removals)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ...core.errors import DomainError, NotFound, PermissionDenied
from ...core.pagination import PageParams
from ...core.timeutil import now
from ...registry import service as registry
from ...registry.models import Enterprise
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.flash import error_query, verified
from ...webkit.listing import List, ListArgs, same_page
from ...webkit.templating import NavItem, add_nav, render
from .. import positive
from ..uploads import Upload
from ._forms import export, units_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("正面清单", "/portal/positive", roles=("enterprise",), order=36),
        NavItem("正面清单管理", "/portal/positive/manage", roles=("officer", "leader"), order=43))


def _firm(request, db, actor, error: str = "", status_code: int = 200):
    e = registry.get_enterprise(db, actor, actor.enterprise_id)
    return render(request, "portal/positive.html", {
        "e": e, "checks": positive.check_criteria(db, e, now().date()), "listing": positive.current(db, e.id),
        "status": positive.STATUS, "rules": positive.rules(), "error": error}, status_code=status_code)


@router.get("/portal/positive")
def firm_page(request: Request, db: DB, actor: CurrentActor):
    if not actor.is_enterprise:
        return RedirectResponse("/portal/positive/manage", status_code=303)
    return _firm(request, db, actor)


@router.post("/portal/positive/apply")
def firm_apply(request: Request, db: DB, actor: CurrentActor, form: FormFields):
    files = [Upload(f.filename or "", f.file.read()) for f in form.getlist("files") if hasattr(f, "read")]
    try:
        positive.apply(db, actor, statement=str(form.get("statement", "")), files=files)
    except DomainError as exc:
        db.rollback()
        return _firm(request, db, actor, exc.message, exc.status)
    return RedirectResponse("/portal/positive", status_code=303)


def _filters(args: ListArgs, status: str, agency_id: int | None, origin: str) -> dict:
    return {"q": args.q, "status": "" if status == "all" else status, "agency_id": agency_id, "origin": origin}


def _manage(request, db, actor, error: str = "", swept: dict | None = None, status_code: int = 200,
            args: ListArgs | None = None, status: str = "open", agency_id: int | None = None, origin: str = ""):
    args = args or ListArgs()
    filters = _filters(args, status, agency_id, origin)
    p = positive.page_listings(db, actor, **filters, sort=args.sort, page=args.params)
    ids = {x.enterprise_id for x in p.items}
    names = dict(db.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).all()) if ids else {}
    return render(request, "portal/positive_manage.html", {
        "p": p, "items": p.items, "names": names, "tab": status, "q": args.q, "agency_id": agency_id,
        "origin": origin, "origins": positive.ORIGINS, "units": units_of(db, actor),
        "counts": positive.status_counts(db, actor, q=args.q, agency_id=agency_id, origin=origin),
        "tabs": [("open", positive.GROUP_NAMES["open"]), ("pending", "待审核"), ("review", "待复核"), ("listed", "清单内"),
                 ("closed", positive.GROUP_NAMES["closed"]), ("all", "全部")],
        "status": positive.STATUS, "rules": positive.rules(), "error": error, "swept": swept or {}},
        status_code=status_code)


@router.get("/portal/positive/manage")
def manage(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "open",
           agency_id: int | None = None, origin: str = "", error: str = "", sig: str = ""):
    if actor.is_enterprise:
        return RedirectResponse("/portal/positive", status_code=303)
    swept = positive.sweep(db, actor)            # penalties remove, confirmed leads go to review
    db.commit()
    # an action's error comes back in the URL, shown only when this server signed it
    return _manage(request, db, actor, verified(error, sig), swept=swept, args=args, status=status or "open",
                   agency_id=agency_id, origin=origin)


HEADER = ["企业", "统一社会信用代码", "属地机构", "来源", "申请/推荐日期", "状态", "理由/说明", "决定日期", "决定理由",
          "复核线索", "移出日期", "移出理由"]


@router.get("/portal/positive/manage.{fmt}")
def manage_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "open",
                  agency_id: int | None = None, origin: str = ""):
    """Every listing of the management list's filters, in its order, streamed (CSV or Excel)."""
    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能导出正面清单管理列表", code="portal.forbidden")
    filters = _filters(args, status or "open", agency_id, origin)
    total = positive.page_listings(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        from ...registry.models import Agency

        for x in positive.iter_listings(session, actor, sort=args.sort, **filters):
            e, a = session.get(Enterprise, x.enterprise_id), session.get(Agency, x.agency_id)
            yield [e.name, e.uscc, a.name, positive.ORIGINS.get(x.origin, x.origin), x.applied_on.isoformat(),
                   positive.STATUS.get(x.status, x.status), x.statement, x.decided_on.isoformat() if x.decided_on else "",
                   x.decision_reason, x.review_trigger, x.removed_on.isoformat() if x.removed_on else "",
                   x.removal_reason]

    return export(request, fmt, "正面清单", HEADER, rows, total)


#: The management list's own arguments: an action returns to the list with these as they were.
VIEW_KEYS = ("status", "q", "agency_id", "origin", "sort", "page", "size")
MANAGE = "/portal/positive/manage"


def _act(db, fn, back: str = ""):
    """Run an action and return to the list as it was (tab, filters, sort, page: the posted
    ``back``, reduced to the list's own arguments), with the error, signed, if it failed."""
    target = same_page(MANAGE, back, VIEW_KEYS)
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{error_query(exc.message)}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/portal/positive/propose")
def propose(request: Request, db: DB, actor: CurrentActor, form: FormFields):

    def run():
        e = registry.enterprise_by_uscc(db, str(form.get("uscc", "")).strip())
        if e is None:
            raise NotFound("未找到该统一社会信用代码的企业", code="portal.enterprise_not_found")
        positive.propose(db, actor, e.id, statement=str(form.get("statement", "")))
    return _act(db, run, str(form.get("back", "")))


@router.post("/portal/positive/{listing_id}/{step}")
def step(request: Request, listing_id: int, step: str, db: DB, actor: CurrentActor, form: FormFields):
    reason = str(form.get("reason", ""))
    steps = {
        "approve": lambda: positive.decide(db, actor, listing_id, approve=True, reason=reason),
        "reject": lambda: positive.decide(db, actor, listing_id, approve=False, reason=reason),
        "remove": lambda: positive.remove(db, actor, listing_id, reason=reason),
        "keep": lambda: positive.keep(db, actor, listing_id, reason=reason),
    }
    if step not in steps:
        raise NotFound("未知的操作", code="portal.bad_step")
    return _act(db, steps[step], str(form.get("back", "")))
