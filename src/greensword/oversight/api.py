"""执法稽查 JSON API: statistics per audited unit, the evaluation indicator and open recommendations."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..core.timeutil import today
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_page, api_rows
from . import service

router = APIRouter(prefix="/oversight", tags=["oversight"])


Year = Annotated[int, Query(ge=1949, le=2100)]


@router.get("/stats")
def stats(response: Response, db: DB, actor: CurrentActor, args: ApiList, year: Year) -> PageOf[dict]:
    """One page of the per-audited-unit figures of ``year``, with the total (also ``X-Total-Count``);
    ``q`` searches the unit's name. Was a bare list (API change)."""
    return api_rows(response, service.statistics(db, actor, year=year), args, search=("agency",))


@router.get("/flows")
def flows(response: Response, db: DB, actor: CurrentActor, args: ApiList, year: Year) -> PageOf[dict]:
    """Complaints, transfers and unit audits per unit: one page with the total (also
    ``X-Total-Count``); ``q`` searches the unit's name. Was a bare list (API change)."""
    return api_rows(response, service.flows_by_unit(db, actor, year=year), args, search=("agency",))


@router.get("/recommendations")
def recommendations(response: Response, db: DB, actor: CurrentActor, args: ApiList, status: str = "",
                    agency_id: int | None = None, year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
                    overdue: bool = False, escalated: bool = False) -> PageOf[dict]:
    """One page of the audit recommendations (open ones, earliest deadline first, unless ``status``
    or ``sort``: due, unit, status, year), with the total (also ``X-Total-Count``)."""
    p = service.page_recommendations(db, actor, status=status, agency_id=agency_id, year=year, q=args.q,
                                     overdue_on=today() if overdue else None, escalated=escalated, sort=args.sort,
                                     page=args.params)
    return api_page(response, p)


@router.get("/plans/{plan_id}/metrics")
def metrics(plan_id: int, db: DB, actor: CurrentActor) -> dict:
    p = service.get_plan(db, actor, plan_id)
    r = service.rules()
    return {"plan_id": p.id, "seed": p.seed, "status": p.status,
            "metrics": {k: m.model_dump() for k, m in r.metrics.items()},
            "units": p.metrics if p.status == "selected" else service.unit_metrics(db, actor, p)}
