"""学法 pages: the firm's study questions (drawn per industry from the law-fact bank), answers with
the right option and its legal source, points earned once per question, the monthly cap."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...core import lawbank
from ...core.errors import DomainError
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.templating import NavItem, add_nav, render
from .. import study

router = APIRouter(include_in_schema=False)
add_nav(NavItem("学法积分", "/portal/study", roles=("enterprise",), order=40))


def _page(request, db, actor, *, result=None, answered=None, round_no: int = 0, error: str = "", status_code=200):
    return render(request, "portal/study.html", {
        "quiz": study.draw(db, actor, round_no=round_no), "progress": study.progress(db, actor),
        "rules": study.rules(), "points_of": study.points_of, "result": result, "round": round_no,
        "answered": answered or [], "error": error}, status_code=status_code)


@router.get("/portal/study")
def page(request: Request, db: DB, actor: CurrentActor, round: int = 0):
    if not actor.is_enterprise:
        return RedirectResponse("/", status_code=303)
    return _page(request, db, actor, round_no=max(0, min(round, 10_000)))


@router.post("/portal/study")
def submit(request: Request, db: DB, actor: CurrentActor, form: FormFields):
    answers = {k[2:]: str(v) for k, v in form.items() if k.startswith("q-") and v}
    round_no = int(str(form.get("round") or 0)) if str(form.get("round") or "0").isdigit() else 0
    if not answers:
        return _page(request, db, actor, error="请至少回答一题", round_no=round_no, status_code=422)
    try:
        res = study.submit(db, actor, answers)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, error=exc.message, round_no=round_no, status_code=exc.status)
    db.commit()
    answered = [(lawbank.find(q), answers[q]) for q in answers]
    return _page(request, db, actor, result=res, answered=answered, round_no=round_no + 1)
