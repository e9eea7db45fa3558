"""执法稽查 JSON API: statistics per audited unit, the evaluation indicator and open recommendations."""

from fastapi import APIRouter

from ..webkit.deps import DB, CurrentActor
from . import service

router = APIRouter(prefix="/oversight", tags=["oversight"])


@router.get("/stats")
def stats(db: DB, actor: CurrentActor, year: int) -> list[dict]:
    return service.statistics(db, actor, year=year)


@router.get("/flows")
def flows(db: DB, actor: CurrentActor, year: int) -> list[dict]:
    """Complaints, transfers and unit audits per unit."""
    return service.flows_by_unit(db, actor, year=year)


@router.get("/recommendations")
def recommendations(db: DB, actor: CurrentActor) -> list[dict]:
    return service.open_recommendations(db, actor)


@router.get("/plans/{plan_id}/metrics")
def metrics(plan_id: int, db: DB, actor: CurrentActor) -> dict:
    p = service.get_plan(db, actor, plan_id)
    r = service.rules()
    return {"plan_id": p.id, "seed": p.seed, "status": p.status,
            "metrics": {k: m.model_dump() for k, m in r.metrics.items()},
            "units": p.metrics if p.status == "selected" else service.unit_metrics(db, actor, p)}
