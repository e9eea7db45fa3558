"""Statistics and rankings through the API (the same figures as the console)."""

from datetime import date
from typing import Literal

from fastapi import APIRouter, Response

from ..core.pagination import Sort
from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_rows
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


#: Sorts of the ranking (by rank unless asked otherwise).
RANKING_SORT = Sort(keys={"rank": [lambda r: r["rank"]], "total": [lambda r: r["total"]], "name": [lambda r: r["name"]]},
                    default="rank", labels={"rank": "名次", "total": "总分", "name": "单位"})


@router.get("/ranking")
def ranking(response: Response, db: DB, actor: CurrentActor, args: ApiList,
            level: Literal["province", "city", "county", "individual"] = "county",
            year: int | None = None) -> PageOf[dict]:
    """One page of the ranking of the units the caller may see (by rank unless ``sort``: rank,
    total, name), with the total (also ``X-Total-Count``); ``q`` searches the unit's name. Was a
    bare list of every unit before (API change)."""
    seen = service.visible_units(db, actor)
    y = year or now().year
    rows = [{"agency_id": c.agency_id, "name": c.name, "total": c.total, "rank": c.rank, "tied": c.tied,
             "outstanding": c.outstanding, "progress": c.progress, "improvement": c.improvement, "lines": c.lines}
            for c in service.evaluate(db, year=y, level=level) if c.agency_id in seen]
    return api_rows(response, rows, args, search=("name",), sort=RANKING_SORT)
