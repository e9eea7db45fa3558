"""Off-site leads through the API: the ranked list, one lead with its evidence, and the
screening steps (the same services as the console)."""

from fastapi import APIRouter, Response

from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_page
from . import service
from .schemas import LeadActIn, LeadDetail, LeadOut

router = APIRouter(prefix="/offsite", tags=["offsite"])


def _detail(lead) -> LeadDetail:
    return LeadDetail(**LeadOut.model_validate(lead).model_dump(), evidence=lead.evidence or {},
                      overdue=service.overdue(lead))


@router.get("/leads")
def list_leads(response: Response, db: DB, actor: CurrentActor, args: ApiList, status: str = "", detector: str = "",
               agency_id: int | None = None, overdue: bool = False) -> PageOf[LeadOut]:
    """One page of the leads the caller may see (open leads by rank unless ``sort``: rank, id,
    enterprise, detector, start, status, due, created), with the total (also ``X-Total-Count``);
    ``q`` searches enterprise name, credit code and MN."""
    p = service.page_leads(db, actor, status=status, detector=detector, agency_id=agency_id, q=args.q,
                           overdue_only=overdue, sort=args.sort, page=args.params)
    return api_page(response, p, LeadOut.model_validate)


@router.get("/leads/{lead_id}")
def get_lead(lead_id: int, db: DB, actor: CurrentActor) -> LeadDetail:
    return _detail(service.get_lead(db, actor, lead_id))


@router.post("/leads/{lead_id}/act/{action}")
def act(lead_id: int, action: str, body: LeadActIn, db: DB, actor: CurrentActor) -> LeadDetail:
    return _detail(service.act(db, actor, lead_id, action, reason=body.reason))
