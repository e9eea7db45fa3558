"""Statistics, evaluation ranking and score cards (the leader's dashboard is its own domain)."""

from datetime import date
from typing import Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.pagination import page_list
from ..core.timeutil import now
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import List
from ..webkit.templating import NavItem, add_nav, render
from . import service, statistics

router = APIRouter(include_in_schema=False)
add_nav(NavItem("统计分析", "/statistics", roles=("leader", "admin", "evaluator", "reviewer"), order=50),
        NavItem("评估排名", "/evaluation", roles=("leader", "admin", "evaluator"), order=60))


@router.get("/statistics")
def stats_page(request: Request, db: DB, actor: CurrentActor, agency_id: int | None = None, year: int | None = None,
               start: date | None = None, end: date | None = None, tag: str = "", violation: str = ""):
    from ..cases.discretion import rules as drules
    from ..cases.service import SPECIAL_ACTIONS

    unit = service.unit_for(db, actor, agency_id)
    f = service.period_filters(year, start, end, tag, violation)
    rep = statistics.report(db, unit, f)
    units = [a for a in db.execute(select(Agency.id, Agency.name, Agency.division_code, Agency.path)
                                   .where(Agency.level.in_(("province", "city", "county")))
                                   .order_by(Agency.division_code))
             if actor.covers(a.path)]
    return render(request, "evaluation/statistics.html", {
        "rep": rep, "unit": unit, "f": f, "units": units, "unit_ids": {a.division_code: a.id for a in units},
        "tags": SPECIAL_ACTIONS, "tag": tag,
        "violations": drules().violations, "violation": violation, "labels": statistics.LABELS,
        "rates": statistics.RATES, "rate_notes": statistics.RATE_NOTES, "query": str(request.url.query)})


@router.get("/statistics.xlsx")
def stats_xlsx(db: DB, actor: CurrentActor, agency_id: int | None = None, year: int | None = None,
               start: date | None = None, end: date | None = None, tag: str = "", violation: str = ""):
    """The monthly report to the level above: one row per subordinate unit, this period, the
    same period last year and the change."""
    unit = service.unit_for(db, actor, agency_id)
    data = service.statistics_xlsx(db, unit, service.period_filters(year, start, end, tag, violation))
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=statistics.xlsx"})


PERIODS = {"year": "全年", "h1": "上半年（效能评估）", "h2": "下半年（效能评估）"}


@router.get("/evaluation")
def ranking(request: Request, db: DB, actor: CurrentActor, args: List,
            level: Literal["province", "city", "county", "individual"] = "county", year: int | None = None,
            period: str = "year"):
    seen = service.visible_units(db, actor)
    try:
        service.notice_issuer(db, actor)
        can_notice = True
    except DomainError:
        can_notice = False
    y = year or now().year
    start, end = {"h1": (date(y, 1, 1), date(y, 6, 30)), "h2": (date(y, 7, 1), date(y, 12, 31))}.get(
        period, (date(y, 1, 1), date(y, 12, 31)))
    people = page_list([])
    if level == "individual":            # every officer of the unit, ranked, a page at a time
        cards = []
        people = page_list(service.individuals(db, year=y, agency=service.unit_for(db, actor, None)), args.params)
    else:
        cards = [c for c in service.evaluate(db, year=y, level=level, start=start, end=end) if c.agency_id in seen]
    return render(request, "evaluation/ranking.html", {"cards": cards, "people": people.items, "p": people,
                                                       "level": level, "year": y,
                                                       "period": period, "periods": PERIODS,
                                                       "scheme": service.scheme(y), "rank_label": service.rank_label,
                                                       "can_notice": can_notice})


@router.get("/evaluation/notice.docx")
def notice(db: DB, actor: CurrentActor, level: Literal["province", "city", "county", "individual"] = "county", year: int | None = None):
    issuer = service.notice_issuer(db, actor).name
    data = service.notice_docx(db, year=year or now().year, level=level, issuer=issuer)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": "attachment; filename=evaluation-notice.docx"})


@router.get("/evaluation/units/{agency_id}")
def score_card(request: Request, agency_id: int, db: DB, actor: CurrentActor, year: int | None = None):
    y = year or now().year
    unit = service.unit_for(db, actor, agency_id)
    card = service.card_for(db, year=y, agency_id=unit.id)
    return render(request, "evaluation/card.html", {"card": card, "unit": unit, "year": y,
                                                    "rank_label": service.rank_label, "scheme": service.scheme(y)})


@router.post("/evaluation/entries")
def entry(db: DB, actor: CurrentActor, agency_id: int = Form(...), indicator: str = Form(...),
          value: float = Form(...), evidence: str = Form(""), year: int = Form(...)):
    service.enter(db, actor, year=year, agency_id=agency_id, indicator=indicator, value=value, evidence=evidence)
    return RedirectResponse(f"/evaluation/units/{agency_id}?year={year}", status_code=303)
