"""Self-check pages: the firm's form for the current period (its industry's checklist, photos),
its past self-checks; officers see completion per county and each submitted self-check."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...core.errors import DomainError
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.templating import NavItem, add_nav, render
from .. import selfcheck as service
from ._forms import download, files_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("企业自查", "/portal/selfchecks", roles=("enterprise",), order=42))


def _page(request, db, actor, error: str = "", form: dict | None = None, status_code: int = 200):
    ctx = {"items": service.list_checks(db, actor), "results": service.RESULTS, "error": error, "form": form or {}}
    if actor.is_enterprise:
        start, end, label, done = service.current(db, actor)
        from ...registry.models import Enterprise

        ctx.update(start=start, end=end, label=label, done=done,
                   checklist=service.checklist(db.get(Enterprise, actor.enterprise_id)))
    else:
        ctx["completion"] = service.completion(db, actor)
    return render(request, "portal/selfchecks.html", ctx, status_code=status_code)


@router.get("/portal/selfchecks")
def selfchecks(request: Request, db: DB, actor: CurrentActor):
    return _page(request, db, actor)


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
