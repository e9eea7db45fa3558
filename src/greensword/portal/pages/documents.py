"""电子送达 pages: the firm's documents inbox (consent, served documents, open and confirm) and the
officer's list of decided cases to serve electronically."""

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ...core.errors import DomainError
from ...core.timeutil import now
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.templating import NavItem, add_nav, render
from .. import delivery

router = APIRouter(include_in_schema=False)
add_nav(NavItem("送达文书", "/portal/documents", roles=("enterprise",), order=32),
        NavItem("电子送达", "/portal/service", roles=("officer", "leader"), order=41))


def _inbox(request, db, actor, error: str = "", status_code: int = 200):
    r = delivery.rules()
    eid = actor.enterprise_id
    return render(request, "portal/documents.html", {
        "consent": delivery.active_consent(db, eid), "history": delivery.consents(db, eid),
        "deliveries": delivery.deliveries(db, actor), "kinds": r.consent.documents, "roles": r.consent.signer_roles,
        "rules": r, "status": delivery.STATUS, "error": error}, status_code=status_code)


@router.get("/portal/documents")
def inbox(request: Request, db: DB, actor: CurrentActor):
    if not actor.is_enterprise:
        return RedirectResponse("/portal/service", status_code=303)
    return _inbox(request, db, actor)


def _do(request, db, actor, fn, back="/portal/documents"):
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        return _inbox(request, db, actor, exc.message, exc.status)
    return RedirectResponse(back, status_code=303)


@router.post("/portal/documents/consent")
def consent(request: Request, db: DB, actor: CurrentActor, form: FormFields):
    return _do(request, db, actor, lambda: delivery.give_consent(
        db, actor, signer_name=str(form.get("signer_name", "")), signer_role=str(form.get("signer_role", "")),
        documents=[str(x) for x in form.getlist("documents")], notify_mobile=str(form.get("notify_mobile", ""))))


@router.post("/portal/documents/consent/withdraw")
def withdraw(request: Request, db: DB, actor: CurrentActor, form: FormFields):
    return _do(request, db, actor, lambda: delivery.withdraw_consent(db, actor, reason=str(form.get("reason", ""))))


@router.get("/portal/documents/{delivery_id}/{document_id}")
def read(request: Request, delivery_id: int, document_id: int, db: DB, actor: CurrentActor):
    d, meta, data = delivery.open_document(db, actor, delivery_id, document_id)
    return render(request, "portal/document.html", {"d": d, "meta": meta, "text": delivery.document_text(data),
                                                    "status": delivery.STATUS})


@router.get("/portal/documents/{delivery_id}/{document_id}/docx")
def download(delivery_id: int, document_id: int, db: DB, actor: CurrentActor):
    d, meta, data = delivery.open_document(db, actor, delivery_id, document_id)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta['title'])}.docx"})


@router.post("/portal/documents/{delivery_id}/confirm")
def confirm(request: Request, delivery_id: int, db: DB, actor: CurrentActor):
    return _do(request, db, actor, lambda: delivery.confirm(db, actor, delivery_id))


# --- officers ----------------------------------------------------------------------------------------

def _service_page(request, db, actor, error: str = "", status_code: int = 200):
    today = now().date()
    rows = delivery.servable(db, actor)
    return render(request, "portal/service.html", {
        "rows": rows, "status": delivery.STATUS, "error": error, "today": today,
        "follow_up_by": delivery.follow_up_by, "rules": delivery.rules()}, status_code=status_code)


@router.get("/portal/service")
def service_list(request: Request, db: DB, actor: CurrentActor):
    if actor.is_enterprise:
        return RedirectResponse("/portal/documents", status_code=303)
    return _service_page(request, db, actor)


@router.post("/portal/service/{case_id}/send")
def send(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    try:
        delivery.send(db, actor, case_id, on=on)
    except DomainError as exc:
        db.rollback()
        return _service_page(request, db, actor, exc.message, exc.status)
    return RedirectResponse("/portal/service", status_code=303)
