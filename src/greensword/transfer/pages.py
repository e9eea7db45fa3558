"""Transfer console: follow-ups with their clocks, untracked transfers recorded in cases, the
transfer page with its actions, and statistics per unit."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ..core.errors import ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import today
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.templating import NavItem, add_nav, render
from . import service

router = APIRouter(include_in_schema=False)
add_nav(NavItem("行刑衔接", "/transfer", roles=("officer", "leader", "admin"), order=42))


Year = Annotated[int | None, Query(ge=1949, le=2100)]


def _filters(args, status, kind, year, agency_id, outcome) -> dict:
    return {"q": args.q, "status": status or None, "kind": kind or None, "year": year, "agency_id": agency_id,
            "outcome": outcome}


def _agencies(db, actor) -> list[Agency]:
    return [a for a in db.execute(select(Agency).where(Agency.level.in_(("province", "city", "county")))
                                  .order_by(Agency.division_code)).scalars() if actor.covers(a.path)]


@router.get("/transfer")
def index(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "", kind: str = "",
          year: Year = None, agency_id: int | None = None, outcome: str = ""):
    p = service.page_transfers(db, actor, **_filters(args, status, kind, year, agency_id, outcome), sort=args.sort,
                               page=args.params)
    return render(request, "transfer/list.html", {
        "p": p, "items": p.items, "status": status, "kind": kind, "year": year, "agency_id": agency_id,
        "outcome": outcome, "q": args.q, "statuses": service.STATUSES, "kinds": service.KINDS,
        "outcomes": service.OUTCOMES, "agencies": _agencies(db, actor),
        "untracked": service.page_untracked(db, actor, page=PageParams(size=UNTRACKED_PANEL)), "dues": service.dues,
        "today": today()})


#: Untracked transfers shown on the transfer page (the rest on /transfer/untracked).
UNTRACKED_PANEL = 10


@router.get("/transfer/untracked")
def untracked(request: Request, db: DB, actor: CurrentActor, args: List, kind: str = ""):
    """Every transfer recorded in a case and not yet followed, paged, searchable, by kind."""
    p = service.page_untracked(db, actor, q=args.q, kind=kind, sort=args.sort, page=args.params)
    return render(request, "transfer/untracked.html", {"p": p, "items": p.items, "q": args.q, "kind": kind,
                                                       "kinds": service.KINDS,
                                                       "measure_kinds": set(service.MEASURE_KINDS.values())})


HEADER = ["案件编号", "当事人", "统一社会信用代码", "移送单位", "类型", "接收机关", "批准移送日期", "移送日期", "签收日期",
          "受理/立案日期", "不予受理日期", "状态", "挂牌督办", "办理结果", "结果日期", "逾期环节"]


@router.get("/transfer.{fmt}")
def export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "", kind: str = "",
           year: Year = None, agency_id: int | None = None, outcome: str = ""):
    """Every transfer of the list's filters, in its order, streamed (CSV or Excel); persons under
    measures are not in it (their names are masked by role on the transfer page)."""
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")
    filters = _filters(args, status, kind, year, agency_id, outcome)
    total = service.page_transfers(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    day = today()

    def iso(d):
        return d.isoformat() if d else ""

    def rows(session):
        for t in service.iter_transfers(session, actor, sort=args.sort, **filters):
            late = [d.label for d in service.dues(t) if d.done_on is None and t.status != "closed" and d.overdue(day)]
            yield [t.case_number, t.enterprise.name, t.enterprise.uscc, t.agency.name, service.KINDS.get(t.kind, t.kind),
                   t.receiver, iso(t.approved_on), iso(t.sent_on), iso(t.received_on), iso(t.accepted_on),
                   iso(t.refused_on), service.STATUSES.get(t.status, t.status), t.joint_supervision,
                   service.OUTCOMES.get(t.outcome, "") if t.outcome else "", iso(t.outcome_on), "、".join(late)]

    name = f"行刑衔接移送-{day:%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", HEADER, rows, total)
    return xlsx_response(request, f"{name}.xlsx", "移送跟踪", HEADER, rows, total)


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
