"""执法稽查 console: plans with the selection metrics explained, the audited unit's page (team,
file pulls and re-checks, findings, feedback letter, rectification, 回头看), statistics."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import today
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor, FormFields
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.templating import NavItem, add_nav, render
from . import service

router = APIRouter(include_in_schema=False)
add_nav(NavItem("执法稽查", "/oversight", roles=("leader", "admin", "reviewer"), order=55))


@router.get("/oversight")
def index(request: Request, db: DB, actor: CurrentActor, args: List,
          year: Annotated[int | None, Query(ge=1949, le=2100)] = None):
    agencies = [a for a in db.execute(select(Agency).where(Agency.level.in_(("province", "city")))
                                      .order_by(Agency.division_code)).scalars() if actor.covers(a.path)]
    first = service.page_recommendations(db, actor, page=PageParams(size=20))
    p = service.page_plans(db, actor, year=year, q=args.q, sort=args.sort, page=args.params)
    return render(request, "oversight/plans.html", {
        "p": p, "plans": p.items, "agencies": agencies, "year": today().year, "filter_year": year, "q": args.q,
        "open": first.items, "open_total": first.total})


Year = Annotated[int | None, Query(ge=1949, le=2100)]


def _rec_filters(args, status, agency_id, year, overdue, escalated) -> dict:
    return {"q": args.q, "status": status, "agency_id": agency_id, "year": year,
            "overdue_on": today() if overdue == "1" else None, "escalated": escalated == "1"}


def _units(db, actor) -> list[Agency]:
    return [a for a in db.execute(select(Agency).where(Agency.level.in_(("city", "county")))
                                  .order_by(Agency.division_code)).scalars() if actor.covers(a.path)]


@router.get("/oversight/recommendations")
def recommendations(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "",
                    agency_id: int | None = None, year: Year = None, overdue: str = "", escalated: str = ""):
    p = service.page_recommendations(db, actor, **_rec_filters(args, status, agency_id, year, overdue, escalated),
                                     sort=args.sort, page=args.params)
    return render(request, "oversight/recommendations.html", {
        "p": p, "q": args.q, "status": status, "agency_id": agency_id, "year": year, "overdue": overdue,
        "escalated": escalated, "statuses": service.FINDING_STATUS, "units": _units(db, actor)})


REC_HEADER = ["稽查年度", "稽查计划", "被稽查单位", "问题领域", "问题等级", "发现问题", "整改建议", "整改期限", "状态",
              "是否逾期", "已提级督办"]


@router.get("/oversight/recommendations.{fmt}")
def recommendations_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "",
                           agency_id: int | None = None, year: Year = None, overdue: str = "", escalated: str = ""):
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")
    filters = _rec_filters(args, status, agency_id, year, overdue, escalated)
    total = service.page_recommendations(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        for r in service.iter_recommendations(session, actor, sort=args.sort, **filters):
            yield [r["year"], r["plan"], r["unit"], r["area"], r["grade"], r["finding"], r["text"],
                   r["due"].isoformat() if r["due"] else "", r["status_label"], "是" if r["overdue"] else "否",
                   "是" if r["escalated"] else "否"]

    name = f"稽查整改建议-{today():%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", REC_HEADER, rows, total)
    return xlsx_response(request, f"{name}.xlsx", "整改建议", REC_HEADER, rows, total)


@router.post("/oversight")
def create(db: DB, actor: CurrentActor, agency_id: int = Form(...), year: int = Form(...), name: str = Form(...),
           seed: str = Form("")):
    p = service.create_plan(db, actor, agency_id=agency_id, year=year, name=name, seed=seed)
    return RedirectResponse(f"/oversight/plans/{p.id}", status_code=303)


@router.get("/oversight/plans/{plan_id}")
def plan(request: Request, plan_id: int, db: DB, actor: CurrentActor):
    p = service.get_plan(db, actor, plan_id)
    rows = p.metrics if p.status == "selected" else service.unit_metrics(db, actor, p)
    return render(request, "oversight/plan.html", {"p": p, "rows": rows, "rules": service.rules(),
                                                   "units": service.units_of(db, p), "status": service.UNIT_STATUS})


@router.post("/oversight/plans/{plan_id}/select")
def select_units(plan_id: int, db: DB, actor: CurrentActor, seed: str = Form("")):
    service.select_units(db, actor, plan_id, seed=seed)
    return RedirectResponse(f"/oversight/plans/{plan_id}", status_code=303)


@router.get("/oversight/stats")
def stats(request: Request, db: DB, actor: CurrentActor, year: int | None = None):
    year = year or today().year
    return render(request, "oversight/stats.html", {"rows": service.statistics(db, actor, year=year), "year": year,
                                                     "labels": service.STAT_LABELS})


@router.get("/oversight/flows")
def flows(request: Request, db: DB, actor: CurrentActor, year: int | None = None):
    year = year or today().year
    return render(request, "oversight/flows.html", {"rows": service.flows_by_unit(db, actor, year=year), "year": year,
                                                     "labels": service.FLOW_LABELS})


@router.get("/oversight/units/{unit_id}")
def unit(request: Request, unit_id: int, db: DB, actor: CurrentActor):
    u = service.get_unit(db, actor, unit_id)
    from ..review import service as review

    return render(request, "oversight/unit.html", {
        "u": u, "files": service.files_of(db, u), "findings": service.findings_of(db, u), "rules": service.rules(),
        "status": service.UNIT_STATUS, "fstatus": service.FILE_KINDS, "finding_status": service.FINDING_STATUS,
        "sheet": review.sheet(today()), "today": today()})


def _back(uid: int) -> RedirectResponse:
    return RedirectResponse(f"/oversight/units/{uid}", status_code=303)


@router.post("/oversight/units/{unit_id}/team")
def team(unit_id: int, db: DB, actor: CurrentActor, usernames: str = Form(...)):
    service.assign_team(db, actor, unit_id, usernames.replace("，", ",").replace("、", ",").split(","))
    return _back(unit_id)


@router.post("/oversight/units/{unit_id}/pull")
def pull(unit_id: int, db: DB, actor: CurrentActor):
    service.pull_files(db, actor, unit_id)
    return _back(unit_id)


@router.post("/oversight/files/{file_id}")
def check_file(request: Request, file_id: int, db: DB, actor: CurrentActor, form: FormFields):
    deductions = {k[2:]: float(v) for k, v in form.items() if k.startswith("d_") and str(v).strip()}
    vetoes = form.getlist("veto")
    f = service.check_file(db, actor, file_id, deductions=deductions, vetoes=[str(v) for v in vetoes],
                           result=str(form.get("result") or "") or None, note=str(form.get("note") or ""))
    return _back(f.unit_id)


@router.post("/oversight/units/{unit_id}/findings")
def finding(unit_id: int, db: DB, actor: CurrentActor, area: str = Form(...), grade: str = Form(...),
            text: str = Form(...), recommendation: str = Form(""), due: date | None = Form(None)):
    service.add_finding(db, actor, unit_id, area=area, grade=grade, text=text, recommendation=recommendation, due=due)
    return _back(unit_id)


@router.post("/oversight/units/{unit_id}/feedback")
def feedback(unit_id: int, db: DB, actor: CurrentActor):
    service.send_feedback(db, actor, unit_id)
    return _back(unit_id)


@router.get("/oversight/units/{unit_id}/letter.docx")
def letter(unit_id: int, db: DB, actor: CurrentActor):
    u = service.get_unit(db, actor, unit_id)
    return Response(service.letter_bytes(u),
                    media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f'attachment; filename="feedback-{u.id}.docx"'})


@router.post("/oversight/findings/{finding_id}/plan")
def plan_text(finding_id: int, db: DB, actor: CurrentActor, text: str = Form(...)):
    x = service.submit_plan(db, actor, finding_id, text)
    return _back(x.unit_id)


@router.post("/oversight/findings/{finding_id}/report")
def report(finding_id: int, db: DB, actor: CurrentActor, text: str = Form(...)):
    x = service.report(db, actor, finding_id, text)
    return _back(x.unit_id)


@router.post("/oversight/findings/{finding_id}/followup")
def followup(finding_id: int, db: DB, actor: CurrentActor, verified: bool = Form(...), note: str = Form(...),
             new_due: date | None = Form(None)):
    x = service.follow_up(db, actor, finding_id, verified=verified, note=note, new_due=new_due)
    return _back(x.unit_id)


@router.post("/oversight/escalate")
def escalate(db: DB, actor: CurrentActor):
    service.escalate(db, actor)
    return RedirectResponse("/oversight", status_code=303)
