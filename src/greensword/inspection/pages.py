"""Inspection console pages: plans and draws, the officer's tasks, the mobile on-site record
page, statistics, and the public results page (no login, no personal data)."""

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import DomainError, NotFound, ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import now
from ..registry import service as registry
from ..registry.models import Officer
from ..webkit.deps import DB, CurrentActor, FormFields
from ..webkit.flash import error_query
from ..webkit.images import thumbnail_response
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.options import options_response
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


def _export(request: Request, fmt: str, name: str, title: str, header: list[str], rows, total: int):
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", header, rows, total)
    if fmt == "xlsx":
        return xlsx_response(request, f"{name}.xlsx", title, header, rows, total)
    raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")


def _plan_filters(args, agency_id, year, status, mode) -> dict:
    return {"q": args.q, "agency_id": agency_id, "year": year, "status": status, "mode": mode}


@router.get("/inspection/plans")
def plans(request: Request, db: DB, actor: CurrentActor, args: List, agency_id: int | None = None,
          year: int | None = None, status: str = "", mode: str = ""):
    from ..offsite.service import confirmed_for_planning

    p = service.page_plans(db, actor, **_plan_filters(args, agency_id, year, status, mode), sort=args.sort,
                           page=args.params)
    return render(request, "inspection/plans.html", {
        "p": p, "plans": p.items, "modes": service.MODES, "leads": confirmed_for_planning(db, actor),
        "plan_status": service.PLAN_STATUS, "q": args.q, "agency_id": agency_id, "year": year, "status": status,
        "mode": mode, "agencies": registry.list_agencies(db, actor, level="county"), "today": now().date()})


PLAN_HEADER = ["计划编号", "计划名称", "执法机构", "开始日期", "结束日期", "方式", "状态", "抽中企业数", "抽取时间",
               "随机种子", "结果哈希"]


@router.get("/inspection/plans.{fmt}")
def plans_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, agency_id: int | None = None,
                 year: int | None = None, status: str = "", mode: str = ""):
    filters = _plan_filters(args, agency_id, year, status, mode)
    total = service.page_plans(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        for x in service.iter_plans(session, actor, sort=args.sort, **filters):
            yield [x.id, x.name, x.agency.name, x.period_start.isoformat(), x.period_end.isoformat(),
                   service.MODES.get(x.mode, x.mode), service.PLAN_STATUS.get(x.status, x.status),
                   len((x.result or {}).get("items", [])) if x.result else "",
                   x.drawn_at.strftime("%Y-%m-%d %H:%M") if x.drawn_at else "", x.seed or "", x.result_hash or ""]

    return _export(request, fmt, f"抽查计划-{now():%Y%m%d}", "抽查计划", PLAN_HEADER, rows, total)


@router.post("/inspection/leads/{lead_id}/task")
def task_from_lead(request: Request, lead_id: int, db: DB, actor: CurrentActor, form: FormFields):
    """“转现场核查” on the lead page: the inspection domain opens the task and marks the lead."""
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


def _task_filters(args, status, source, agency_id, overdue) -> dict:
    return {"q": args.q, "status": status, "source": source, "agency_id": agency_id, "overdue_only": overdue == "1",
            "today": now().date()}


@router.get("/inspection/tasks")
def tasks(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "open", source: str = "",
          agency_id: int | None = None, overdue: str = ""):
    status = "" if status == "all" else status
    p = service.page_tasks(db, actor, **_task_filters(args, status, source, agency_id, overdue), sort=args.sort,
                           page=args.params)
    return render(request, "inspection/tasks.html", {
        "p": p, "tasks": p.items, "status": status or "all", "sources": service.SOURCES, "source": source,
        "statuses": service.TASK_STATUS, "q": args.q, "agency_id": agency_id, "overdue_only": overdue,
        "is_overdue": service.task_overdue, "today": now().date(),
        "agencies": registry.list_agencies(db, actor, level="county")})


TASK_HEADER = ["任务编号", "企业", "统一社会信用代码", "所属区县", "来源", "来源说明", "截止日期", "状态", "是否逾期",
               "检查人员", "派发时间"]


@router.get("/inspection/tasks.{fmt}")
def tasks_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "open",
                 source: str = "", agency_id: int | None = None, overdue: str = ""):
    status = "" if status == "all" else status
    filters = _task_filters(args, status, source, agency_id, overdue)
    total = service.page_tasks(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    today = now().date()

    def rows(session):
        names = {o.id: o.name for o in session.execute(select(Officer)).scalars()}
        for t in service.iter_tasks(session, actor, sort=args.sort, **filters):
            yield [t.id, t.enterprise.name, t.enterprise.uscc, t.enterprise.agency.name,
                   service.SOURCES.get(t.source, t.source), t.source_ref or "", t.due_date.isoformat(),
                   service.TASK_STATUS.get(t.status, t.status), "是" if service.task_overdue(t, today) else "否",
                   "、".join(names.get(i, str(i)) for i in t.officer_ids or []),
                   t.created_at.strftime("%Y-%m-%d %H:%M") if t.created_at else ""]

    return _export(request, fmt, f"检查任务-{now():%Y%m%d}", "检查任务", TASK_HEADER, rows, total)


def _task_ctx(db, actor, task, error: str = "", typed=None) -> dict:
    record = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one_or_none()
    amendments = []
    if record is not None:
        amendments = list(db.execute(select(Amendment).where(Amendment.record_id == record.id)
                                     .order_by(Amendment.id)).scalars())
    evidence = [(e, service.kind_of(e.mime), service.photo_notes(e, record)) for e in service.evidence_of(db, task)]
    return {"task": task, "record": record, "items": service.checklist_for(task.enterprise.industry_code).items,
            "evidence": evidence, "officers": _names(db, task.officer_ids),
            "sources": service.SOURCES, "amendments": amendments, "error": error, "typed": typed,
            "low_accuracy": service.GPS_LOW_ACCURACY_M, "photo_far_m": service.PHOTO_FAR_M, "signer_roles": service.records.SIGNER_ROLES}


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
def task_save(request: Request, task_id: int, db: DB, actor: CurrentActor, form: FormFields):
    checklist = {k[5:]: v for k, v in form.items() if k.startswith("item-") and v}

    def act(t):
        pos = service.position(form.get("gps_lat"), form.get("gps_lon"), form.get("gps_accuracy"), form.get("gps_at"))
        return service.save_record(db, actor, t, checklist=checklist, findings=str(form.get("findings", "")),
                                   violation=form.get("violation") == "1", location=str(form.get("location", "")),
                                   checked_at=now(), position=pos)
    return _back(request, db, actor, task_id, act, typed=dict(form.multi_items()), done="已保存")


@router.post("/inspection/tasks/{task_id}/sign")
def task_sign(request: Request, task_id: int, db: DB, actor: CurrentActor, role: str = Form(...),
              name: str = Form(""), png: UploadFile | None = None):
    data = png.file.read(service.field.SIGNATURE_MAX_BYTES + 1) if png is not None else b""

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
def evidence_file(task_id: int, evidence_id: int, db: DB, actor: CurrentActor, download: int = 0, thumb: int = 0):
    """An evidence file, to whoever may see the record: images, PDFs and video inline with the
    type told from their bytes; anything else as a download. ``thumb=1``: a small preview."""
    task = service.get_task(db, actor, task_id)
    ev = db.get(Evidence, evidence_id)
    if ev is None or ev.task_id != task.id:
        raise NotFound("该检查任务没有这个证据文件", code="inspection.evidence_not_found")
    path = service.evidence_path(ev.sha256)
    if not path.exists():
        raise NotFound("证据文件不在存储中", code="inspection.evidence_missing")
    if thumb:
        return thumbnail_response(service.thumbnail(ev))
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

def _public_filters(args, agency_id, year, result) -> dict:
    if result not in ("", "0", "1"):
        raise ValidationFailed("检查结果应为“发现问题”或“未发现问题”", code="list.bad_filter")
    return {"q": args.q, "agency_id": agency_id, "year": year, "violation": None if result == "" else result == "1"}


@router.get("/public/inspections")
def public_results(request: Request, db: DB, args: List, agency_id: int | None = None, year: int | None = None,
                   result: str = ""):
    from ..webkit.templating import templates

    p = service.page_published(db, **_public_filters(args, agency_id, year, result), sort=args.sort, page=args.params)
    # the 检查机构 filter: every county in a drop-down, or — a province's or the country's 3,000
    # counties — a search box filling it as one types (/public/inspections/unit-options)
    total = registry.count_units(db, "county")
    many = total > templates.env.globals["unit_select_max"]
    counties = [] if many else registry.public_units(db)
    # the unit filtered by is shown chosen, whatever its level: a city or the province named in a
    # shared link filters its counties' results, and the filter must say so (not 全部)
    chosen = _public_unit(db, agency_id) if agency_id is not None else None
    return render(request, "inspection/public.html", {
        "p": p, "rows": p.items, "generated": datetime.now(), "q": args.q, "agency_id": agency_id, "year": year,
        "result": result, "agencies": counties, "units_total": total, "chosen": chosen, "this_year": now().year})


def _public_unit(db, agency_id: int):
    """The unit a public list is filtered by — a county of the drop-down, or a city or province a
    link names (its counties' results) — named on the page as the filter's choice."""
    from ..registry.models import Agency

    return db.get(Agency, agency_id)


#: Typed searches of the public unit filter a client may send per minute (one every half second
#: sustained: a person typing; the box waits 300 ms after the last key before asking).
PUBLIC_UNIT_SEARCHES_PER_MINUTE = 120
PUBLIC_UNIT_OPTIONS = 30


@router.get("/public/inspections/unit-options")
def public_unit_options(request: Request, db: DB, unit_q: Annotated[str, Query(max_length=40)] = "",
                        selected: Annotated[str, Query(max_length=12)] = ""):
    """``<option>``s for the public results' 检查机构 filter as one types, no login: the counties
    whose name or division code contains the text (at most 30), after 全部 — names and codes the
    drop-down itself shows, the same for everyone. Rate-limited per client; the browser may keep
    an answer five minutes."""
    from ..core import ratelimit

    client = request.client.host if request.client else "?"
    wait = ratelimit.hit(request.app.state.engine, "inspection.public_units", client,
                         limit=PUBLIC_UNIT_SEARCHES_PER_MINUTE, window_s=60.0)
    if wait:
        return HTMLResponse('<option value="" disabled>查询过于频繁，请稍后再试</option>', status_code=429,
                            headers={"Retry-After": str(int(wait) + 1)})
    q = unit_q.strip()
    units = registry.public_units(db, q, limit=PUBLIC_UNIT_OPTIONS) if q else []
    return options_response("全部", [(a.id, a.name) for a in units], q, none_text="无匹配的检查机构",
                            cap=PUBLIC_UNIT_OPTIONS, counter="个", selected=selected,
                            headers={"Cache-Control": "private, max-age=300"})


PUBLIC_HEADER = ["企业名称", "统一社会信用代码", "检查机构", "抽查计划", "检查日期", "检查事项", "检查结果"]


@router.get("/public/inspections.csv")
def public_csv(request: Request, db: DB, args: List, agency_id: int | None = None, year: int | None = None,
               result: str = ""):
    """Every public result of the filters, streamed as CSV (no personal data)."""
    filters = _public_filters(args, agency_id, year, result)
    total = service.page_published(db, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        for r in service.iter_published(session, sort=args.sort, **filters):
            yield [r["enterprise"], r["uscc"], r["agency"], r["plan_id"], r["checked_on"], r["matters"], r["result"]]

    return csv_response(request, "inspection-results.csv", PUBLIC_HEADER, rows, total)


from .complaints import router as _complaint_router  # noqa: E402  (targeted tasks from complaints)

router.include_router(_complaint_router)
