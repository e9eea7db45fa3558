"""Enterprise portal pages."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...webkit.deps import DB, CurrentActor
from ...webkit.templating import NavItem, add_nav, render
from .. import service

router = APIRouter(include_in_schema=False)
add_nav(NavItem("学法积分", "/portal/study", roles=("enterprise",), order=40))


@router.get("/portal/study")
def study(request: Request, db: DB, actor: CurrentActor, done: int = 0):
    if not actor.is_enterprise:
        return RedirectResponse("/", status_code=303)
    return render(request, "portal/study.html", {"quiz": service.quiz(), "done": done,
                                                 "balance": service.points_balance(db, actor)})


@router.post("/portal/study")
async def study_submit(request: Request, db: DB, actor: CurrentActor):
    form = await request.form()
    ok = service.submit_quiz(db, actor, {k: str(v) for k, v in form.items()})
    return RedirectResponse(f"/portal/study?done={1 if ok else -1}", status_code=303)
