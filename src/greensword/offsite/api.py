"""Off-site leads through the API: the ranked list, one lead with its evidence, and the
screening steps (the same services as the console)."""

from fastapi import APIRouter

from ..webkit.deps import DB, CurrentActor
from . import service
from .schemas import LeadActIn, LeadDetail, LeadOut

router = APIRouter(prefix="/offsite", tags=["offsite"])


def _detail(lead) -> LeadDetail:
    return LeadDetail(**LeadOut.model_validate(lead).model_dump(), evidence=lead.evidence or {},
                      overdue=service.overdue(lead))


@router.get("/leads")
def list_leads(db: DB, actor: CurrentActor, status: str = "", detector: str = "", agency_id: int | None = None,
               limit: int = 200) -> list[LeadOut]:
    return [LeadOut.model_validate(x) for x in service.list_leads(db, actor, status=status, detector=detector,
                                                                  agency_id=agency_id, limit=limit)]


@router.get("/leads/{lead_id}")
def get_lead(lead_id: int, db: DB, actor: CurrentActor) -> LeadDetail:
    return _detail(service.get_lead(db, actor, lead_id))


@router.post("/leads/{lead_id}/act/{action}")
def act(lead_id: int, action: str, body: LeadActIn, db: DB, actor: CurrentActor) -> LeadDetail:
    return _detail(service.act(db, actor, lead_id, action, reason=body.reason))
