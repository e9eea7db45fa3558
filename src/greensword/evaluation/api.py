"""Statistics and rankings through the API (the same figures as the console)."""

from datetime import date
from typing import Literal

from fastapi import APIRouter

from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor
from . import service, statistics

router = APIRouter(prefix="/evaluation", tags=["evaluation"])


@router.get("/statistics")
def stats(db: DB, actor: CurrentActor, agency_id: int | None = None, year: int | None = None,
          start: date | None = None, end: date | None = None, tag: str = "", violation: str = "") -> dict:
    unit = service.unit_for(db, actor, agency_id)
    f = service.period_filters(year, start, end, tag, violation)
    rep = statistics.report(db, unit, f)
    return {"unit": rep["unit"], "children": rep["children"], "labels": statistics.LABELS,
            "period": {"start": f.start, "end": f.end, "tag": f.tag, "violation_code": f.violation_code}}


@router.get("/ranking")
def ranking(db: DB, actor: CurrentActor, level: Literal["province", "city", "county", "individual"] = "county",
            year: int | None = None) -> list[dict]:
    seen = service.visible_units(db, actor)
    y = year or now().year
    return [{"agency_id": c.agency_id, "name": c.name, "total": c.total, "rank": c.rank, "tied": c.tied,
             "outstanding": c.outstanding, "progress": c.progress, "improvement": c.improvement, "lines": c.lines}
            for c in service.evaluate(db, year=y, level=level) if c.agency_id in seen]
