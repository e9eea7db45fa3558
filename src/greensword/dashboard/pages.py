"""The leader's dashboard page."""

from fastapi import APIRouter, Request

from ..webkit.deps import DB, CurrentActor
from ..webkit.templating import NavItem, add_nav, render
from . import service

router = APIRouter(include_in_schema=False)
add_nav(NavItem("领导驾驶舱", "/dashboard", roles=("leader", "admin"), order=5))


@router.get("/dashboard")
def dashboard(request: Request, db: DB, actor: CurrentActor, agency_id: int | None = None):
    return render(request, "dashboard/index.html", service.overview(db, actor, agency_id))
