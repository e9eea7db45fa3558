"""Complaint pages: the public report form and tracking page (no login) and the console (list,
complaint page with its clocks and actions, statistics)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ..core import thumbs
from ..core.errors import DomainError, NotFound, ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import today
from ..registry import service as registry
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor
from ..webkit.images import thumbnail_response
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.options import options_response
from ..webkit.templating import NavItem, add_nav, render
from . import service
from .models import Complaint

router = APIRouter(include_in_schema=False)
add_nav(NavItem("信访投诉", "/complaint", roles=("officer", "leader", "admin"), order=25))

def _rate_limit(request: Request) -> None:
    service.check_rate(request.app.state.engine, request.client.host if request.client else "?")


def _agencies(db) -> list[Agency]:
    return list(db.execute(select(Agency).where(Agency.level.in_(("city", "county")))
                           .order_by(Agency.division_code)).scalars())


#: The units a complaint is received or handled by (受理/承办单位).
HANDLING_LEVELS = ("city", "county")


def _handling_units(db, actor, selected: int | None) -> dict:
    """A form's 受理/承办单位: the city and county units of the jurisdiction in a drop-down, or, when
    there are more than it holds (a province's or the country's), only their number and the chosen
    one (the unit picker searches /registry/unit-options with the same levels and jurisdiction)."""
    from ..webkit.templating import templates

    total = registry.count_scope_units(db, actor, HANDLING_LEVELS)
    many = total > templates.env.globals["unit_select_max"]
    chosen = db.get(Agency, selected) if many and selected is not None else None
    return {"units": [] if many else registry.scope_units(db, actor, HANDLING_LEVELS), "units_total": total,
            "chosen": chosen if chosen is not None and actor.covers(chosen.path) else None,
            "unit_levels": ",".join(HANDLING_LEVELS)}


def _public_units(db, selected: int | None) -> dict:
    """The public form's 被举报地: every city and county unit in a drop-down, or, when there are
    more than it holds (the country's 3,000), a search box filling it as one types
    (/public/complaint/unit-options) and the one already chosen."""
    from ..webkit.templating import templates

    total = registry.count_units(db, HANDLING_LEVELS)
    many = total > templates.env.globals["unit_select_max"]
    chosen = db.get(Agency, selected) if many and selected is not None else None
    return {"agencies": [] if many else _agencies(db), "units_total": total,
            "chosen": chosen if chosen is not None and chosen.level in HANDLING_LEVELS else None}


@router.get("/public/complaint")
def public_form(request: Request, db: DB):
    return render(request, "complaint/public_form.html", {**_public_units(db, None), "rules": service.rules(),
                                                           "form": {}, "error": None})


#: Typed searches of the public form's 被举报地 a client may send per minute (a person typing), and
#: how many units one answer names at most.
PUBLIC_UNIT_SEARCHES_PER_MINUTE = 120
PUBLIC_UNIT_OPTIONS = 30


@router.get("/public/complaint/unit-options")
def public_unit_options(request: Request, db: DB, unit_q: Annotated[str, Query(max_length=40)] = "",
                        selected: Annotated[str, Query(max_length=12)] = ""):
    """``<option>``s for the public form's 被举报地 as one types, no login: the city and county
    units whose name or division code contains the text (at most 30), after 请选择单位 — the names
    the drop-down itself shows. Rate-limited per client; the browser may keep an answer five minutes."""
    from ..core import ratelimit

    client = request.client.host if request.client else "?"
    wait = ratelimit.hit(request.app.state.engine, "complaint.public_units", client,
                         limit=PUBLIC_UNIT_SEARCHES_PER_MINUTE, window_s=60.0)
    if wait:
        return HTMLResponse('<option value="">查询过于频繁，请稍后再试</option>', status_code=429,
                            headers={"Retry-After": str(int(wait) + 1)})
    q = unit_q.strip()
    units = registry.public_units(db, q, level=HANDLING_LEVELS, limit=PUBLIC_UNIT_OPTIONS) if q else []
    return options_response("请选择单位", [(a.id, a.name) for a in units], q, none_text="无匹配的单位",
                            cap=PUBLIC_UNIT_OPTIONS, counter="个", selected=selected,
                            headers={"Cache-Control": "private, max-age=300"})


@router.post("/public/complaint")
def public_submit(request: Request, db: DB, agency_id: int = Form(...), enterprise_name: str = Form(""),
                  address: str = Form(""), matter: str = Form(...), content: str = Form(...),
                  anonymous: bool = Form(False), name: str = Form(""), phone: str = Form(""),
                  files: list[UploadFile] | None = None):
    form = {"agency_id": agency_id, "enterprise_name": enterprise_name, "address": address, "matter": matter,
            "content": content, "anonymous": anonymous, "name": name, "phone": phone}
    try:
        _rate_limit(request)
        limit = service.rules().public_form.max_attachment_bytes
        attachments = []
        for f in files or []:
            if not f.filename:
                continue
            data = f.file.read(limit + 1)
            attachments.append(service.Attachment(f.filename, f.content_type or "", data))
        c = service.submit_public(db, agency_id=agency_id, enterprise_name=enterprise_name, address=address,
                                  matter=matter, content=content, anonymous=anonymous, name=name, phone=phone,
                                  attachments=attachments)
    except DomainError as e:
        db.rollback()
        return render(request, "complaint/public_form.html", {**_public_units(db, agency_id), "rules": service.rules(),
                                                               "form": form, "error": e}, status_code=e.status)
    return render(request, "complaint/public_done.html", {"c": c})


@router.get("/public/complaint/track")
def track(request: Request, db: DB, code: str = ""):
    view, error = None, None
    if code:
        try:
            view = service.public_view(db, code)
        except DomainError as e:
            error = e
    return render(request, "complaint/track.html", {"view": view, "error": error, "code": code,
                                                     "ratings": service.SATISFACTION})


@router.post("/public/complaint/rate")
def rate(db: DB, code: str = Form(...), satisfaction: str = Form(...)):
    service.rate(db, code, satisfaction)
    return RedirectResponse(f"/public/complaint/track?code={code}", status_code=303)


# --- console -------------------------------------------------------------------------------------

Year = Annotated[int | None, Query(ge=1949, le=2100)]
Month = Annotated[int | None, Query(ge=1, le=12)]


def _filters(args, status, year, month, agency_id, channel, matter, overdue) -> dict:
    return {"q": args.q, "status": status or None, "year": year, "month": month, "agency_id": agency_id,
            "channel": channel, "matter": matter, "overdue_on": today() if overdue == "1" else None}


@router.get("/complaint")
def index(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "", year: Year = None,
          month: Month = None, agency_id: int | None = None, channel: str = "", matter: str = "", overdue: str = ""):
    p = service.page_complaints(db, actor, **_filters(args, status, year, month, agency_id, channel, matter, overdue),
                                sort=args.sort, page=args.params)
    return render(request, "complaint/list.html", {
        "p": p, "items": p.items, "status": status, "statuses": service.STATUSES, "rules": service.rules(),
        "today": today(), "q": args.q, "year": year, "month": month, "agency_id": agency_id, "channel": channel,
        "matter": matter, "overdue": overdue, "dues": service.dues, **_handling_units(db, actor, agency_id)})


HEADER = ["查询码", "收件日期", "渠道", "受理单位", "被举报单位", "统一社会信用代码", "地址", "事项", "内容", "状态",
          "受理告知期限", "作出受理决定日期", "办结答复期限", "答复日期", "是否逾期", "重复件", "经办人", "是否查实",
          "关联案件", "满意度"]


@router.get("/complaint.{fmt}")
def export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "", year: Year = None,
           month: Month = None, agency_id: int | None = None, channel: str = "", matter: str = "", overdue: str = ""):
    """Every complaint of the list's filters, in its order, streamed (CSV or Excel). The
    complainant's name and phone are never in it (they are not in the list either)."""
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")
    filters = _filters(args, status, year, month, agency_id, channel, matter, overdue)
    total = service.page_complaints(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    r, day = service.rules(), today()

    def rows(session):
        for c in service.iter_complaints(session, actor, sort=args.sort, **filters):
            yield [c.code, c.received_on.isoformat(), r.channels.get(c.channel, c.channel),
                   c.agency.name if c.agency else "", c.enterprise.name if c.enterprise else c.enterprise_name,
                   c.enterprise.uscc if c.enterprise else "", c.address, r.matters.get(c.matter, c.matter), c.content,
                   service.STATUSES.get(c.status, c.status), c.accept_due.isoformat(),
                   c.decided_on.isoformat() if c.decided_on else "", c.reply_due.isoformat() if c.reply_due else "",
                   c.replied_on.isoformat() if c.replied_on else "", "是" if service.overdue_now(c, day) else "否",
                   "是" if c.duplicate_of else "", "、".join(c.handlers or []),
                   "" if c.substantiated is None else ("是" if c.substantiated else "否"), c.case_ref or "",
                   service.SATISFACTION.get(c.satisfaction, "") if c.satisfaction else ""]

    name = f"信访投诉-{day:%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", HEADER, rows, total)
    return xlsx_response(request, f"{name}.xlsx", "信访投诉", HEADER, rows, total)


@router.post("/complaint")
def record_call(db: DB, actor: CurrentActor, agency_id: int = Form(...), channel: str = Form(...),
                enterprise_name: str = Form(""), address: str = Form(""), matter: str = Form(...),
                content: str = Form(...), anonymous: bool = Form(False), name: str = Form(""),
                phone: str = Form(""), received_on: date | None = Form(None)):
    c = service.record_call(db, actor, agency_id=agency_id, channel=channel, enterprise_name=enterprise_name,
                            address=address, matter=matter, content=content, anonymous=anonymous, name=name,
                            phone=phone, received_on=received_on)
    return RedirectResponse(f"/complaint/{c.id}", status_code=303)


@router.get("/complaint/stats")
def stats(request: Request, db: DB, actor: CurrentActor, year: int | None = None):
    year = year or today().year
    return render(request, "complaint/stats.html", {"rows": service.statistics(db, actor, year=year), "year": year,
                                                     "labels": service.STAT_LABELS})


@router.get("/complaint/{complaint_id}")
def page(request: Request, complaint_id: int, db: DB, actor: CurrentActor):
    c = service.get(db, actor, complaint_id)
    person = service.identity(db, actor, c) if service.can_see_identity(actor, c) else None
    original = db.get(Complaint, c.duplicate_of) if c.duplicate_of else None
    return render(request, "complaint/page.html", {
        "c": c, "person": person, "can_see": service.can_see_identity(actor, c), "events": service.events(db, c),
        "dues": service.dues(c), "today": today(), "statuses": service.STATUSES, "rules": service.rules(),
        "original": original, "satisfaction": service.SATISFACTION, "methods": service.CHECK_METHODS,
        **_handling_units(db, actor, c.agency_id),
        # the linked enterprise is searched (name or 统一社会信用代码) among the jurisdiction's, the
        # name the complaint gave offered first
        "enterprise_q": (c.enterprise_name or "")[:40],
        "enterprises": registry.find_enterprises(db, actor, c.enterprise_name or "")
        if c.status in ("received", "accepted", "assigned") and not c.enterprise_id else [],
        # the on-site team is picked among every certified officer of the handling unit (no typed ids)
        "officers": registry.assignable_officers(db, actor, c.agency_id)
        if c.status == "assigned" and c.agency_id else []})


def _back(cid: int) -> RedirectResponse:
    return RedirectResponse(f"/complaint/{cid}", status_code=303)


@router.post("/complaint/{complaint_id}/decide")
def decide(complaint_id: int, db: DB, actor: CurrentActor, decision: str = Form(...), reason: str = Form(""),
           on: date | None = Form(None)):
    service.decide(db, actor, complaint_id, decision=decision, reason=reason, on=on)
    return _back(complaint_id)


@router.post("/complaint/{complaint_id}/assign")
def assign(complaint_id: int, db: DB, actor: CurrentActor, agency_id: int = Form(...), handlers: str = Form(...)):
    service.assign(db, actor, complaint_id, agency_id=agency_id,
                   handlers=handlers.replace("，", ",").replace("、", ",").split(","))
    return _back(complaint_id)


@router.post("/complaint/{complaint_id}/enterprise")
def link_enterprise(complaint_id: int, db: DB, actor: CurrentActor, enterprise_id: int = Form(...)):
    service.link_enterprise(db, actor, complaint_id, enterprise_id)
    return _back(complaint_id)


@router.post("/complaint/{complaint_id}/extend")
def extend(complaint_id: int, db: DB, actor: CurrentActor, days: int = Form(...), reason: str = Form(...)):
    service.extend(db, actor, complaint_id, days=days, reason=reason)
    return _back(complaint_id)


@router.post("/complaint/{complaint_id}/conclude")
def conclude(complaint_id: int, db: DB, actor: CurrentActor, substantiated: bool = Form(False),
             findings: str = Form(...), method: str = Form("")):
    service.conclude(db, actor, complaint_id, substantiated=substantiated, findings=findings, method=method or None)
    return _back(complaint_id)


@router.post("/complaint/{complaint_id}/reply")
def reply(complaint_id: int, db: DB, actor: CurrentActor, text: str = Form(...)):
    service.reply(db, actor, complaint_id, text=text)
    return _back(complaint_id)


@router.post("/complaint/{complaint_id}/award")
def award(complaint_id: int, db: DB, actor: CurrentActor, yuan: int = Form(...)):
    service.award(db, actor, complaint_id, yuan)
    return _back(complaint_id)


@router.get("/complaint/{complaint_id}/attachments/{sha}")
def attachment(complaint_id: int, sha: str, db: DB, actor: CurrentActor, thumb: int = 0):
    c = service.get(db, actor, complaint_id)
    meta = next((a for a in c.attachments if a["sha256"] == sha), None)
    if meta is None:
        raise NotFound("附件不存在", code="complaint.attachment_not_found")
    if thumb:
        return thumbnail_response(thumbs.preview(sha, meta["mime"], lambda: service.attachment_bytes(sha)))
    return Response(service.attachment_bytes(sha), media_type=meta["mime"],
                    headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"})
