"""Inspection console pages: plans and draws, the officer's tasks, the mobile on-site record
page, statistics, and the public results page (no login, no personal data)."""

import csv
import io
from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import DomainError, NotFound
from ..core.timeutil import now
from ..registry import service as registry
from ..registry.models import Officer
from ..webkit.deps import DB, CurrentActor
from ..webkit.flash import error_query
from ..webkit.templating import NavItem, add_nav, render
from . import service
from .models import Amendment, Evidence, Record

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


def _task_ctx(db, actor, task, error: str = "", typed=None) -> dict:
    record = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one_or_none()
    amendments = []
    if record is not None:
        amendments = list(db.execute(select(Amendment).where(Amendment.record_id == record.id)
                                     .order_by(Amendment.id)).scalars())
    evidence = [(e, service.kind_of(e.mime)) for e in service.evidence_of(db, task)]
    return {"task": task, "record": record, "items": service.checklist_for(task.enterprise.industry_code).items,
            "evidence": evidence, "officers": _names(db, task.officer_ids),
            "sources": service.SOURCES, "amendments": amendments, "error": error, "typed": typed,
            "low_accuracy": service.GPS_LOW_ACCURACY_M}


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/inspection/tasks/{task_id}")
def task_page(request: Request, task_id: int, db: DB, actor: CurrentActor, saved: int = 0):
    task = service.get_task(db, actor, task_id)
    return render(request, "inspection/task.html", {**_task_ctx(db, actor, task), "just_saved": bool(saved)})


def _back(request: Request, db, actor, task_id: int, action, typed=None, done=""):
    """Run ``action`` on the task; errors are shown on the page (or as JSON to the page's
    scripts) with nothing changed, success goes back to the page (``done`` is the JSON answer's
    message)."""
    task = service.get_task(db, actor, task_id)
    try:
        result = action(task)
    except DomainError as exc:
        db.rollback()
        if _wants_json(request):
            return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status)
        task = service.get_task(db, actor, task_id)
        return render(request, "inspection/task.html", _task_ctx(db, actor, task, exc.message, typed),
                      status_code=exc.status)
    if _wants_json(request):
        saved = getattr(result, "saved_at", None)
        return JSONResponse({"ok": True, "message": done,
                             "saved_at": saved.isoformat() if saved else None,
                             "saved_text": saved.strftime("%H:%M:%S") if saved else None})
    return RedirectResponse(f"/inspection/tasks/{task_id}{'?saved=1' if done == '已保存' else ''}", status_code=303)


@router.post("/inspection/tasks/{task_id}/record")
async def task_save(request: Request, task_id: int, db: DB, actor: CurrentActor):
    form = await request.form()
    checklist = {k[5:]: v for k, v in form.items() if k.startswith("item-") and v}

    def act(t):
        pos = service.position(form.get("gps_lat"), form.get("gps_lon"), form.get("gps_accuracy"), form.get("gps_at"))
        return service.save_record(db, actor, t, checklist=checklist, findings=str(form.get("findings", "")),
                                   violation=form.get("violation") == "1", location=str(form.get("location", "")),
                                   checked_at=now(), position=pos)
    return _back(request, db, actor, task_id, act, typed=dict(form.multi_items()), done="已保存")


@router.post("/inspection/tasks/{task_id}/sign")
async def task_sign(request: Request, task_id: int, db: DB, actor: CurrentActor, role: str = Form(...),
                    name: str = Form(""), png: UploadFile | None = None):
    data = await png.read(service.field.SIGNATURE_MAX_BYTES + 1) if png is not None else b""

    def act(t):
        return service.sign(db, actor, t, role=role, name=name, png=data, officer_names=_names(db, t.officer_ids))
    return _back(request, db, actor, task_id, act, done=f"{name.strip()} 已签名")


@router.post("/inspection/tasks/{task_id}/unsign")
def task_unsign(request: Request, task_id: int, db: DB, actor: CurrentActor, sha: str = Form(...)):
    return _back(request, db, actor, task_id, lambda t: service.unsign(db, actor, t, sha=sha), done="签名已撤回")


@router.get("/inspection/tasks/{task_id}/signatures/{sha}.png")
def signature_image(task_id: int, sha: Annotated[str, PathParam(pattern="^[0-9a-f]{64}$")], db: DB,
                    actor: CurrentActor):
    """A drawn signature, to whoever may see the record."""
    task = service.get_task(db, actor, task_id)
    record = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one_or_none()
    data = service.signature_png(record.signatures if record else [], sha)
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@router.get("/inspection/tasks/{task_id}/transcript.docx")
def transcript(task_id: int, db: DB, actor: CurrentActor):
    """现场检查笔录 of the record as it stands (a draft is marked as such)."""
    task = service.get_task(db, actor, task_id)
    record = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one_or_none()
    data = service.transcript.render(task, record, service.evidence_of(db, task), _names(db, task.officer_ids))
    name = quote(f"现场检查笔录-{task.enterprise.name}-{task.id}.docx")
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


#: evidence up to this size is re-hashed when served; larger files (video) are streamed as stored
_VERIFY_MAX = 32 * 1024 * 1024


@router.get("/inspection/tasks/{task_id}/evidence/{evidence_id}")
def evidence_file(task_id: int, evidence_id: int, db: DB, actor: CurrentActor, download: int = 0):
    """An evidence file, to whoever may see the record: images, PDFs and video inline with the
    type told from their bytes; anything else as a download."""
    task = service.get_task(db, actor, task_id)
    ev = db.get(Evidence, evidence_id)
    if ev is None or ev.task_id != task.id:
        raise NotFound("该检查任务没有这个证据文件", code="inspection.evidence_not_found")
    path = service.evidence_path(ev.sha256)
    if not path.exists():
        raise NotFound("证据文件不在存储中", code="inspection.evidence_missing")
    with open(path, "rb") as fh:
        mime = service.sniff(fh.read(16))
    inline = mime != "application/octet-stream" and not download
    disposition = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(ev.filename)}"
    headers = {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}
    if ev.size > _VERIFY_MAX:
        return FileResponse(path, media_type=mime, headers=headers)
    data = service.EVIDENCE.read(ev.sha256, code="inspection.evidence_tampered", what="证据文件")
    return Response(data, media_type=mime, headers=headers)


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
