"""Statistics, evaluation ranking, score cards and the leader's dashboard."""

import io
from datetime import date
from typing import Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ..core.auth import check_agency, require_agency_user, require_role
from ..core.errors import NotFound, PermissionDenied
from ..core.timeutil import now
from ..registry.models import Agency
from ..web.deps import DB, CurrentActor
from ..web.templating import NavItem, add_nav, render
from . import service, statistics

router = APIRouter(include_in_schema=False)
add_nav(NavItem("领导驾驶舱", "/dashboard", roles=("leader", "admin"), order=5),
        NavItem("统计分析", "/statistics", roles=("leader", "admin", "evaluator", "reviewer"), order=50),
        NavItem("评估排名", "/evaluation", roles=("leader", "admin", "evaluator"), order=60))


def _unit(db, actor, agency_id: int | None) -> Agency:
    if agency_id is None:
        a = db.get(Agency, actor.agency_id) if actor.agency_id else None
        if a is None:
            a = db.execute(select(Agency).where(Agency.level == "province")).scalars().first()
    else:
        a = db.get(Agency, agency_id)
    if a is None:
        raise NotFound("机构不存在", code="evaluation.agency_not_found")
    check_agency(actor, a.path, "该机构")
    return a


def visible_units(db, actor) -> set[int]:
    """Ids of the units whose evaluation results the actor may read (its own subtree)."""
    require_agency_user(actor, "评估排名")
    return {i for i, path in db.execute(select(Agency.id, Agency.path)) if actor.covers(path)}


def _check_notice_issuer(db, actor) -> Agency:
    """The results notice spans every unit of a level: issued by provincial (or ministry) staff."""
    require_agency_user(actor, "评估通报")
    require_role(actor, "leader", "admin", "evaluator")
    a = db.get(Agency, actor.agency_id) if actor.agency_id else None
    if a is None or a.level not in ("ministry", "province"):
        raise PermissionDenied("评估结果通报仅限省级及以上生态环境部门出具", code="evaluation.notice_scope")
    return a


def _filters(year: int | None, start: date | None, end: date | None, tag: str, violation: str):
    y = year or now().year
    return statistics.Filters(start or date(y, 1, 1), end or date(y, 12, 31), tag or None, violation or None)


@router.get("/statistics")
def stats_page(request: Request, db: DB, actor: CurrentActor, agency_id: int | None = None, year: int | None = None,
               start: date | None = None, end: date | None = None, tag: str = "", violation: str = ""):
    from ..cases.demo import SPECIAL_ACTIONS
    from ..cases.discretion import rules as drules

    unit = _unit(db, actor, agency_id)
    f = _filters(year, start, end, tag, violation)
    rep = statistics.report(db, unit, f)
    units = [a for a in db.execute(select(Agency).where(Agency.level.in_(("province", "city", "county")))
                                   .order_by(Agency.division_code)).scalars()
             if actor.agency_path == "/" or a.path.startswith(actor.agency_path)]
    return render(request, "evaluation/statistics.html", {
        "rep": rep, "unit": unit, "f": f, "units": units, "tags": SPECIAL_ACTIONS, "tag": tag,
        "violations": drules().violations, "violation": violation, "labels": statistics.LABELS,
        "rates": statistics.RATES, "query": str(request.url.query)})


@router.get("/statistics.xlsx")
def stats_xlsx(db: DB, actor: CurrentActor, agency_id: int | None = None, year: int | None = None,
               start: date | None = None, end: date | None = None, tag: str = "", violation: str = ""):
    """The monthly report to the level above: one row per subordinate unit, this period, the
    same period last year and the change."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    unit = _unit(db, actor, agency_id)
    f = _filters(year, start, end, tag, violation)
    rep = statistics.report(db, unit, f)
    wb = Workbook()
    ws = wb.active
    ws.title = "执法统计月报"
    keys = list(statistics.LABELS)
    ws.append([f"{unit.name}生态环境执法统计报表"])
    ws.append([f"统计期间：{f.start.isoformat()} 至 {f.end.isoformat()}" + (f"；专项行动：{f.tag}" if f.tag else "")
               + (f"；违法类型：{f.violation_code}" if f.violation_code else "")])
    ws.append(["单位"] + [statistics.LABELS[k] for k in keys] + [f"{statistics.LABELS[k]}同比" for k in keys[:3]])
    ws["A1"].font = Font(bold=True, size=14)
    for row in [*rep["children"], rep["unit"]]:
        name = row["agency"] if row is not rep["unit"] else f"{row['agency']}（合计）"
        ws.append([name] + [row[k] for k in keys] + [row["yoy"][k] for k in keys[:3]])
    for cell in ws[3]:
        cell.alignment = Alignment(wrap_text=True)
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=statistics.xlsx"})


PERIODS = {"year": "全年", "h1": "上半年（效能评估）", "h2": "下半年（效能评估）"}


@router.get("/evaluation")
def ranking(request: Request, db: DB, actor: CurrentActor, level: Literal["province", "city", "county", "individual"] = "county", year: int | None = None,
            period: str = "year"):
    seen = visible_units(db, actor)
    y = year or now().year
    start, end = {"h1": (date(y, 1, 1), date(y, 6, 30)), "h2": (date(y, 7, 1), date(y, 12, 31))}.get(
        period, (date(y, 1, 1), date(y, 12, 31)))
    people = []
    if level == "individual":
        cards = []
        people = service.individuals(db, year=y, agency=_unit(db, actor, None))
    else:
        cards = [c for c in service.evaluate(db, year=y, level=level, start=start, end=end) if c.agency_id in seen]
    return render(request, "evaluation/ranking.html", {"cards": cards, "people": people, "level": level, "year": y,
                                                       "period": period, "periods": PERIODS,
                                                       "scheme": service.scheme(y), "rank_label": service.rank_label})


@router.get("/evaluation/notice.docx")
def notice(db: DB, actor: CurrentActor, level: Literal["province", "city", "county", "individual"] = "county", year: int | None = None):
    issuer = _check_notice_issuer(db, actor).name
    data = service.notice_docx(db, year=year or now().year, level=level, issuer=issuer)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": "attachment; filename=evaluation-notice.docx"})


@router.get("/evaluation/units/{agency_id}")
def score_card(request: Request, agency_id: int, db: DB, actor: CurrentActor, year: int | None = None):
    y = year or now().year
    unit = _unit(db, actor, agency_id)
    card = service.card_for(db, year=y, agency_id=unit.id)
    return render(request, "evaluation/card.html", {"card": card, "unit": unit, "year": y,
                                                    "rank_label": service.rank_label, "scheme": service.scheme(y)})


@router.post("/evaluation/entries")
def entry(db: DB, actor: CurrentActor, agency_id: int = Form(...), indicator: str = Form(...),
          value: float = Form(...), evidence: str = Form(""), year: int = Form(...)):
    service.enter(db, actor, year=year, agency_id=agency_id, indicator=indicator, value=value, evidence=evidence)
    return RedirectResponse(f"/evaluation/units/{agency_id}?year={year}", status_code=303)


@router.get("/dashboard")
def dashboard(request: Request, db: DB, actor: CurrentActor, agency_id: int | None = None):
    from ..cases.models import Case
    from ..cases.service import overdue

    unit = _unit(db, actor, agency_id)
    today = now().date()
    y = today.year
    f = statistics.Filters(date(y, 1, 1), today)
    rep = statistics.report(db, unit, f)["unit"]
    months = {"filed": [0] * 12, "decided": [0] * 12, "fines": [0] * 12,
              "filed_last": [0] * 12}
    from ..registry.models import Agency as A

    rows = db.execute(select(Case.filed_on, Case.decided_on, Case.fine, Case.outcome).join(A, Case.agency_id == A.id)
                      .where(A.path.startswith(unit.path, autoescape=True))).all()
    for filed, decided, fine, outcome in rows:
        if filed and filed.year == y:
            months["filed"][filed.month - 1] += 1
        if filed and filed.year == y - 1:
            months["filed_last"][filed.month - 1] += 1
        if decided and decided.year == y and outcome == "penalty":
            months["decided"][decided.month - 1] += 1
            months["fines"][decided.month - 1] += (fine or 0) / 10_000
    card = trend = None
    if unit.level in ("province", "city", "county"):
        cards = {c.agency_id: c for c in service.evaluate(db, year=y, level=unit.level, previous=False)}
        last = {c.agency_id: c for c in service.evaluate(db, year=y - 1, level=unit.level, previous=False)}
        card = cards.get(unit.id)
        trend = [(y - 1, last[unit.id].total if unit.id in last else None), (y, card.total if card else None)]
    from ..offsite.models import Lead

    leads = db.execute(select(Lead).where(Lead.status.in_(("new", "screened", "reminded", "inspection")))
                       .join(A, Lead.agency_id == A.id).where(A.path.startswith(unit.path, autoescape=True))
                       .order_by(Lead.rank_score.desc()).limit(20)).scalars().all()
    return render(request, "evaluation/dashboard.html", {
        "unit": unit, "rep": rep, "months": months, "card": card, "trend": trend, "year": y,
        "overdue": overdue(db, actor, today, limit=15), "leads": leads, "labels": statistics.LABELS,
        "rank_label": service.rank_label})
