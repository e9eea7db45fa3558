"""Complaint pages: the public report form and tracking page (no login) and the console (list,
complaint page with its clocks and actions, statistics)."""

from datetime import date

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import DomainError, NotFound
from ..core.timeutil import today
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor
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


@router.get("/public/complaint")
def public_form(request: Request, db: DB):
    return render(request, "complaint/public_form.html", {"agencies": _agencies(db), "rules": service.rules(),
                                                           "form": {}, "error": None})


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
        return render(request, "complaint/public_form.html", {"agencies": _agencies(db), "rules": service.rules(),
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

@router.get("/complaint")
def index(request: Request, db: DB, actor: CurrentActor, status: str = ""):
    items = service.list_complaints(db, actor, status=status or None)
    return render(request, "complaint/list.html", {
        "items": items, "status": status, "statuses": service.STATUSES, "rules": service.rules(), "today": today(),
        "agencies": [a for a in _agencies(db) if actor.covers(a.path)], "dues": service.dues})


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
        "agencies": [a for a in _agencies(db) if actor.covers(a.path)]})


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
def attachment(complaint_id: int, sha: str, db: DB, actor: CurrentActor):
    c = service.get(db, actor, complaint_id)
    meta = next((a for a in c.attachments if a["sha256"] == sha), None)
    if meta is None:
        raise NotFound("附件不存在", code="complaint.attachment_not_found")
    return Response(service.attachment_bytes(sha), media_type=meta["mime"],
                    headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"})
