"""Transfer console: follow-ups with their clocks, untracked transfers recorded in cases, the
transfer page with its actions, and statistics per unit."""

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ..core.timeutil import today
from ..webkit.deps import DB, CurrentActor
from ..webkit.templating import NavItem, add_nav, render
from . import service

router = APIRouter(include_in_schema=False)
add_nav(NavItem("行刑衔接", "/transfer", roles=("officer", "leader", "admin"), order=42))


@router.get("/transfer")
def index(request: Request, db: DB, actor: CurrentActor, status: str = ""):
    return render(request, "transfer/list.html", {
        "items": service.list_transfers(db, actor, status=status or None), "status": status,
        "statuses": service.STATUSES, "kinds": service.KINDS, "untracked": service.untracked(db, actor, limit=50),
        "dues": service.dues, "today": today()})


@router.post("/transfer")
def open_followup(db: DB, actor: CurrentActor, case_id: int = Form(...), measure_id: int | None = Form(None),
                  kind: str = Form(""), receiver: str = Form(""), approved_on: date | None = Form(None),
                  sent_on: date | None = Form(None)):
    t = service.open_followup(db, actor, case_id=case_id, measure_id=measure_id, kind=kind or None,
                              receiver=receiver, approved_on=approved_on, sent_on=sent_on)
    return RedirectResponse(f"/transfer/{t.id}", status_code=303)


@router.get("/transfer/stats")
def stats(request: Request, db: DB, actor: CurrentActor, year: int | None = None):
    year = year or today().year
    return render(request, "transfer/stats.html", {"rows": service.statistics(db, actor, year=year), "year": year,
                                                    "labels": service.STAT_LABELS})


@router.get("/transfer/{transfer_id}")
def page(request: Request, transfer_id: int, db: DB, actor: CurrentActor):
    t = service.get(db, actor, transfer_id)
    return render(request, "transfer/page.html", {
        "t": t, "dues": service.dues(t), "today": today(), "events": service.events(db, t),
        "persons": service.persons(db, actor, t), "statuses": service.STATUSES, "kinds": service.KINDS,
        "measures": service.PERSON_MEASURES[t.kind], "roles": service.PERSON_ROLES, "outcomes": service.OUTCOMES,
        "full": service.can_see_persons(actor)})


def _back(tid: int) -> RedirectResponse:
    return RedirectResponse(f"/transfer/{tid}", status_code=303)


@router.post("/transfer/{transfer_id}/receipt")
def receipt(transfer_id: int, db: DB, actor: CurrentActor, on: date = Form(...)):
    service.receipt(db, actor, transfer_id, on=on)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/decide")
def decide(transfer_id: int, db: DB, actor: CurrentActor, accepted: bool = Form(...), on: date = Form(...),
           reason: str = Form("")):
    service.decide(db, actor, transfer_id, accepted=accepted, on=on, reason=reason)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/reconsider")
def reconsider(transfer_id: int, db: DB, actor: CurrentActor, on: date = Form(...)):
    service.request_reconsideration(db, actor, transfer_id, on=on)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/reconsidered")
def reconsidered(transfer_id: int, db: DB, actor: CurrentActor, accepted: bool = Form(...), on: date = Form(...),
                 reason: str = Form("")):
    service.reconsideration_result(db, actor, transfer_id, accepted=accepted, on=on, reason=reason)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/supervise")
def supervise(transfer_id: int, db: DB, actor: CurrentActor, on: date = Form(...)):
    service.request_supervision(db, actor, transfer_id, on=on)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/supervised")
def supervised(transfer_id: int, db: DB, actor: CurrentActor, filed: bool = Form(...), on: date = Form(...),
               note: str = Form("")):
    service.supervision_result(db, actor, transfer_id, filed=filed, on=on, note=note)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/persons")
def person(transfer_id: int, db: DB, actor: CurrentActor, name: str = Form(...), role: str = Form(...),
           measure: str = Form(...), measure_on: date = Form(...), id_number: str = Form(""),
           days: int | None = Form(None)):
    service.add_person(db, actor, transfer_id, name=name, role=role, measure=measure, measure_on=measure_on,
                       id_number=id_number, days=days)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/handover")
def handover(transfer_id: int, db: DB, actor: CurrentActor, on: date = Form(...)):
    service.handover(db, actor, transfer_id, on=on)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/joint")
def joint(transfer_id: int, db: DB, actor: CurrentActor, by: str = Form(...), on: date = Form(...)):
    service.joint_supervise(db, actor, transfer_id, by=by, on=on)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/meeting")
def meeting(transfer_id: int, db: DB, actor: CurrentActor, on: date = Form(...), note: str = Form(...)):
    service.meeting(db, actor, transfer_id, on=on, note=note)
    return _back(transfer_id)


@router.post("/transfer/{transfer_id}/close")
def close(transfer_id: int, db: DB, actor: CurrentActor, outcome: str = Form(...), on: date = Form(...),
          note: str = Form("")):
    service.close(db, actor, transfer_id, outcome=outcome, on=on, note=note)
    return _back(transfer_id)
