"""正面清单 pages: the firm's criteria check and application; the officers' list (applications,
proposals, reviews after a confirmed lead, removals)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...core.errors import DomainError, NotFound
from ...core.timeutil import now
from ...registry import service as registry
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.templating import NavItem, add_nav, render
from .. import positive
from ..uploads import Upload

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


def _manage(request, db, actor, error: str = "", swept: dict | None = None, status_code: int = 200):
    rows = positive.listings(db, actor)
    return render(request, "portal/positive_manage.html", {
        "pending": [x for x in rows if x.status == "pending"], "review": [x for x in rows if x.status == "review"],
        "listed": [x for x in rows if x.status == "listed"], "closed": [x for x in rows if x.status in ("removed", "rejected")][:50],
        "names": {x.enterprise_id: registry.get_enterprise(db, actor, x.enterprise_id).name for x in rows},
        "status": positive.STATUS, "rules": positive.rules(), "error": error, "swept": swept or {}},
        status_code=status_code)


@router.get("/portal/positive/manage")
def manage(request: Request, db: DB, actor: CurrentActor):
    if actor.is_enterprise:
        return RedirectResponse("/portal/positive", status_code=303)
    swept = positive.sweep(db, actor)            # penalties remove, confirmed leads go to review
    db.commit()
    return _manage(request, db, actor, swept=swept)


def _act(request, db, actor, fn):
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        return _manage(request, db, actor, exc.message, status_code=exc.status)
    return RedirectResponse("/portal/positive/manage", status_code=303)


@router.post("/portal/positive/propose")
def propose(request: Request, db: DB, actor: CurrentActor, form: FormFields):

    def run():
        e = registry.enterprise_by_uscc(db, str(form.get("uscc", "")).strip())
        if e is None:
            raise NotFound("未找到该统一社会信用代码的企业", code="portal.enterprise_not_found")
        positive.propose(db, actor, e.id, statement=str(form.get("statement", "")))
    return _act(request, db, actor, run)


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
    return _act(request, db, actor, steps[step])
