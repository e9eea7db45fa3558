"""Inspection console pages: plans and draws, the officer's tasks, the mobile on-site record
page, statistics, and the public results page (no login, no personal data)."""

import csv
import io
from datetime import date, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.timeutil import now
from ..registry import service as registry
from ..registry.models import Officer
from ..webkit.deps import DB, CurrentActor
from ..webkit.flash import error_query
from ..webkit.templating import NavItem, add_nav, render
from . import service
from .models import Amendment, Record

router = APIRouter(include_in_schema=False)
add_nav(NavItem("双随机检查", "/inspection/plans", roles=("leader", "admin", "reviewer", "evaluator"), order=30),
        NavItem("检查任务", "/inspection/tasks", roles=("officer",), order=31))


def _names(db, ids) -> list[str]:
    if not ids:
        return []
    found = {o.id: o.name for o in db.execute(select(Officer).where(Officer.id.in_(ids))).scalars()}
    return [found.get(i, str(i)) for i in ids]


@router.get("/inspection/plans")
def plans(request: Request, db: DB, actor: CurrentActor):
    from ..offsite.service import confirmed_for_planning

    return render(request, "inspection/plans.html", {
        "plans": service.list_plans(db, actor), "modes": service.MODES, "leads": confirmed_for_planning(db, actor),
        "agencies": registry.list_agencies(db, actor, level="county"), "today": now().date()})


@router.post("/inspection/leads/{lead_id}/task")
async def task_from_lead(request: Request, lead_id: int, db: DB, actor: CurrentActor):
    """“转现场核查” on the lead page: the inspection domain opens the task and marks the lead."""
    form = await request.form()
    officers = [int(v) for k, v in form.multi_items() if k == "officer"]
    try:
        service.task_from_lead(db, actor, lead_id, officer_ids=officers)
    except DomainError as exc:
        db.rollback()

        return RedirectResponse(f"/offsite/leads/{lead_id}?{error_query(exc.message)}", status_code=303)
    return RedirectResponse(f"/offsite/leads/{lead_id}", status_code=303)


@router.post("/inspection/plans")
def plan_create(request: Request, db: DB, actor: CurrentActor, agency_id: int = Form(...), name: str = Form(...),
                period_start: date = Form(...), period_end: date = Form(...), teams: int = Form(2),
                mode: str = Form("routine")):
    plan = service.create_plan(db, actor, agency_id=agency_id, name=name, period_start=period_start,
                               period_end=period_end, teams=teams, mode=mode)
    return RedirectResponse(f"/inspection/plans/{plan.id}", status_code=303)


@router.get("/inspection/plans/{plan_id}")
def plan_page(request: Request, plan_id: int, db: DB, actor: CurrentActor, verified: str = ""):
    plan = service.get_plan(db, actor, plan_id)
    items = []
    if plan.result:
        from ..registry.models import Enterprise

        ents = {e.id: e for e in db.execute(select(Enterprise).where(Enterprise.id.in_(
            [it["enterprise_id"] for it in plan.result["items"]]))).scalars()}
        items = [{**it, "enterprise": ents.get(it["enterprise_id"]), "names": _names(db, it["officers"])}
                 for it in plan.result["items"]]
    verification = service.verify(db, plan) if verified else None
    return render(request, "inspection/plan.html", {"plan": plan, "items": items, "modes": service.MODES,
                                                    "verification": verification})


@router.post("/inspection/plans/{plan_id}/draw")
def plan_draw(plan_id: int, db: DB, actor: CurrentActor, seed: str = Form(...), reason: str = Form("")):
    service.draw(db, actor, plan_id, seed, reason=reason)
    return RedirectResponse(f"/inspection/plans/{plan_id}", status_code=303)


@router.get("/inspection/tasks")
def tasks(request: Request, db: DB, actor: CurrentActor, status: str = "open"):
    items = service.my_tasks(db, actor, status=status)
    return render(request, "inspection/tasks.html", {"tasks": items, "status": status, "sources": service.SOURCES})


def _task_ctx(db, actor, task, error: str = "") -> dict:
    record = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one_or_none()
    amendments = []
    if record is not None:
        amendments = list(db.execute(select(Amendment).where(Amendment.record_id == record.id)
                                     .order_by(Amendment.id)).scalars())
    return {"task": task, "record": record, "items": service.checklist_for(task.enterprise.industry_code).items,
            "evidence": service.evidence_of(db, task), "officers": _names(db, task.officer_ids),
            "sources": service.SOURCES, "amendments": amendments, "error": error}


@router.get("/inspection/tasks/{task_id}")
def task_page(request: Request, task_id: int, db: DB, actor: CurrentActor):
    task = service.get_task(db, actor, task_id)
    return render(request, "inspection/task.html", _task_ctx(db, actor, task))


def _back(request: Request, db, actor, task_id: int, action):
    task = service.get_task(db, actor, task_id)
    try:
        action(task)
    except DomainError as exc:
        db.rollback()
        task = service.get_task(db, actor, task_id)
        return render(request, "inspection/task.html", _task_ctx(db, actor, task, exc.message), status_code=exc.status)
    return RedirectResponse(f"/inspection/tasks/{task_id}", status_code=303)


@router.post("/inspection/tasks/{task_id}/record")
async def task_save(request: Request, task_id: int, db: DB, actor: CurrentActor):
    form = await request.form()
    checklist = {k[5:]: v for k, v in form.items() if k.startswith("item-") and v}
    return _back(request, db, actor, task_id, lambda t: service.save_record(
        db, actor, t, checklist=checklist, findings=str(form.get("findings", "")),
        violation=form.get("violation") == "1", location=str(form.get("location", "")),
        checked_at=now()))


@router.post("/inspection/tasks/{task_id}/sign")
def task_sign(request: Request, task_id: int, db: DB, actor: CurrentActor, role: str = Form(...),
              name: str = Form("")):
    return _back(request, db, actor, task_id, lambda t: service.sign(db, actor, t, role=role, name=name))


@router.post("/inspection/tasks/{task_id}/submit")
def task_submit(request: Request, task_id: int, db: DB, actor: CurrentActor):
    return _back(request, db, actor, task_id, lambda t: service.submit(db, actor, t))


@router.post("/inspection/tasks/{task_id}/amend")
def task_amend(request: Request, task_id: int, db: DB, actor: CurrentActor, text: str = Form("")):
    return _back(request, db, actor, task_id, lambda t: service.amend(db, actor, t, text))


@router.get("/inspection/stats")
def stats(request: Request, db: DB, actor: CurrentActor, year: int | None = None):
    year = year or now().year
    return render(request, "inspection/stats.html", {"rows": service.statistics(db, actor, year=year), "year": year,
                                                     "strata": service.coverage_by_stratum(db, actor, year=year)})


# --- public (一公开) ----------------------------------------------------------------------

@router.get("/public/inspections")
def public_results(request: Request, db: DB):
    return render(request, "inspection/public.html", {"rows": service.published_results(db, limit=500),
                                                      "generated": datetime.now()})


@router.get("/public/inspections.csv")
def public_csv(db: DB):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["企业名称", "统一社会信用代码", "检查机构", "抽查计划", "检查日期", "检查事项", "检查结果"])
    for r in service.published_results(db):
        w.writerow([r["enterprise"], r["uscc"], r["agency"], r["plan_id"], r["checked_on"], r["matters"], r["result"]])
    return Response(("\ufeff" + buf.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=inspection-results.csv"})


from .complaints import router as _complaint_router  # noqa: E402  (targeted tasks from complaints)

router.include_router(_complaint_router)
