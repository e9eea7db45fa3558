"""Case console: list with due-date badges and overdue steps, referrals from on-site records,
the case page (timeline, deadlines, discretion, documents, evidence, measures, next actions),
and the enterprise's study-points page."""

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..core.errors import DomainError
from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor
from ..webkit.templating import NavItem, add_nav, render
from . import deadlines, discretion, service, workflow
from .models import CaseDocument, Measure

router = APIRouter(include_in_schema=False)
add_nav(NavItem("案件办理", "/cases", roles=("officer", "leader", "admin", "reviewer"), order=40))

#: form fields each action reads (besides the date)
FIELDS = {
    "file": ["late_reason"], "return": ["reason"], "suspend": ["reason"], "withdraw": ["reason"],
    "extend": ["reason"], "decide": ["fine", "departure_reason", "use_points", "defence_received", "hearing_waived"],
    "decide_non_penalty": ["reason", "defence_received", "hearing_waived"], "discuss": ["defence_received", "hearing_waived"],
    "record_payment": ["amount"], "close": ["court_enforced"], "record_appeal": ["kind", "outcome"],
}


def _pending_referrals(db, actor):
    from ..inspection import queries as inspection_queries

    return inspection_queries.pending_referrals(db, actor, limit=50)


@router.get("/cases")
def case_list(request: Request, db: DB, actor: CurrentActor, stage: str = "", q: str = ""):
    today = now().date()
    cases = service.list_cases(db, actor, stage=stage or None, q=q or None)
    rows = [{"c": c, "next": (deadlines.open_dues(c, today) or [None])[0]} for c in cases]
    return render(request, "cases/list.html", {
        "rows": rows, "stage": stage, "q": q, "stages": workflow.STAGES, "today": today,
        "overdue": service.overdue(db, actor, today, limit=20), "referrals": _pending_referrals(db, actor)})


@router.post("/cases/referrals/{referral_id}/open")
def open_referral(referral_id: int, db: DB, actor: CurrentActor):
    c = service.open_from_referral(db, actor, referral_id)
    return RedirectResponse(f"/cases/{c.id}", status_code=303)


def _ctx(db, actor, c, error: str = "") -> dict:
    today = now().date()
    rules = discretion.rules()
    return {
        "c": c, "stages": workflow.STAGES, "events": service.events(db, c), "dues": deadlines.dues(c, today),
        "today": today, "documents": service.case_documents(db, c), "evidence": service.evidence_list(db, c),
        "measures": service.measures(db, c), "measure_names": service.MEASURES,
        "actions": workflow.allowed(c, actor.roles), "fields": FIELDS, "error": error,
        "violation": rules.violation(c.violation_code) if c.violation_code else None,
        "violations": rules.violations, "modifiers": rules.modifiers, "conditions": rules.conditions,
        "surcharge": deadlines.surcharge(c, today), "sources": service.SOURCES,
        "points": service.points_balance(db, c.enterprise_id)}


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int, db: DB, actor: CurrentActor):
    c = service.get_case(db, actor, case_id)
    return render(request, "cases/case.html", _ctx(db, actor, c))


def _redo(request, db, actor, case_id, fn):
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        c = service.get_case(db, actor, case_id)
        return render(request, "cases/case.html", _ctx(db, actor, c, exc.message), status_code=exc.status)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/act/{action}")
async def case_act(request: Request, case_id: int, action: str, db: DB, actor: CurrentActor):
    form = await request.form()
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    data: dict = {}
    for f in FIELDS.get(action, []):
        v = form.get(f)
        if v in (None, ""):
            continue
        if f in ("fine", "amount"):
            data[f] = int(str(v).replace(",", ""))
        elif f in ("use_points", "defence_received", "hearing_waived", "court_enforced"):
            data[f] = v == "1"
        else:
            data[f] = str(v)
    return _redo(request, db, actor, case_id, lambda: service.act(db, actor, case_id, action, on=on, data=data))


@router.post("/cases/{case_id}/facts")
async def case_facts(request: Request, case_id: int, db: DB, actor: CurrentActor):
    form = await request.form()
    c = service.get_case(db, actor, case_id)
    return _redo(request, db, actor, case_id, lambda: service.update_facts(
        db, actor, c, facts=str(form.get("facts", c.facts)), violation_code=str(form.get("violation_code") or "") or None,
        major=form.get("major") == "1"))


@router.post("/cases/{case_id}/discretion")
async def case_discretion(request: Request, case_id: int, db: DB, actor: CurrentActor):
    form = await request.form()
    c = service.get_case(db, actor, case_id)
    answers = {k[7:]: str(v) for k, v in form.items() if k.startswith("factor-") and v}
    modifiers = [m for m in ("lighter", "heavier", "mitigated") if form.get(f"mod-{m}") == "1"]
    facts = {k[5:]: True for k, v in form.items() if k.startswith("fact-") and v == "1"}
    fine = form.get("fine")
    return _redo(request, db, actor, case_id, lambda: service.apply_discretion(
        db, actor, c, answers=answers, modifiers=modifiers, facts=facts,
        fine=int(str(fine)) if fine not in (None, "") else None, departure_reason=str(form.get("departure_reason", ""))))


@router.get("/cases/{case_id}/documents/{doc_id}")
def case_document(case_id: int, doc_id: int, db: DB, actor: CurrentActor):
    c = service.get_case(db, actor, case_id)
    doc = db.get(CaseDocument, doc_id)
    if doc is None or doc.case_id != c.id:
        from ..core.errors import NotFound

        raise NotFound("文书不存在", code="cases.document_not_found")
    data = service.document_bytes(doc)
    from urllib.parse import quote

    if doc.kind == "evidence":
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.title)}"})
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.title)}-{c.id}.docx"})


@router.post("/cases/{case_id}/measures")
async def case_measure(request: Request, case_id: int, db: DB, actor: CurrentActor):
    form = await request.form()
    c = service.get_case(db, actor, case_id)
    data = {k: str(v) for k, v in form.items() if k in ("receiver", "reason", "reinspected_on") and v}
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    return _redo(request, db, actor, case_id, lambda: service.add_measure(db, actor, c, str(form.get("kind")),
                                                                          started_on=on, data=data))


@router.post("/cases/{case_id}/measures/{measure_id}/extend")
def case_measure_extend(request: Request, case_id: int, measure_id: int, db: DB, actor: CurrentActor,
                        reason: str = Form("")):
    service.get_case(db, actor, case_id)
    m = db.get(Measure, measure_id)
    return _redo(request, db, actor, case_id, lambda: service.extend_measure(db, actor, m, reason))
