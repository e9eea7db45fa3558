"""Complaint JSON API: public submission and tracking (no login), officer views (identity masked
unless the caller is entitled) and statistics."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_page, api_rows
from . import service
from .schemas import ComplaintOut, PublicIn

router = APIRouter(prefix="/complaint", tags=["complaint"])


@router.post("/public", status_code=201)
def submit(body: PublicIn, request: Request, db: DB) -> dict:
    service.check_rate(request.app.state.engine, request.client.host if request.client else "?")
    c = service.submit_public(db, agency_id=body.agency_id, enterprise_name=body.enterprise_name,
                              address=body.address, matter=body.matter, content=body.content,
                              anonymous=body.anonymous, name=body.name, phone=body.phone)
    return {"code": c.code, "accept_due": c.accept_due}


@router.get("/public/{code}")
def track(code: str, db: DB) -> dict:
    return service.public_view(db, code)


@router.get("")
def index(response: Response, db: DB, actor: CurrentActor, args: ApiList, status: str | None = None,
          year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
          month: Annotated[int | None, Query(ge=1, le=12)] = None, agency_id: int | None = None, channel: str = "",
          matter: str = "") -> PageOf[ComplaintOut]:
    """One page of the complaints the caller may see (newest first unless ``sort``: received, code,
    channel, matter, status, agency, enterprise, accept_due, reply_due), with the total (also
    ``X-Total-Count``); identities masked unless the caller is entitled."""
    p = service.page_complaints(db, actor, status=status, year=year, month=month, agency_id=agency_id,
                                channel=channel, matter=matter, q=args.q, sort=args.sort, page=args.params)
    return api_page(response, p, lambda c: ComplaintOut.of(c, service.can_see_identity(actor, c)))


@router.get("/stats")
def stats(response: Response, db: DB, actor: CurrentActor, args: ApiList,
          year: Annotated[int, Query(ge=1949, le=2100)]) -> PageOf[dict]:
    """One page of the per-unit figures of ``year`` (one row per unit of the caller's jurisdiction),
    with the total (also ``X-Total-Count``); ``q`` searches the unit's name. Was a bare list (API change)."""
    return api_rows(response, service.statistics(db, actor, year=year), args, search=("agency",))


@router.get("/{complaint_id}")
def one(complaint_id: int, db: DB, actor: CurrentActor) -> dict:
    c = service.get(db, actor, complaint_id)
    out = ComplaintOut.of(c, service.can_see_identity(actor, c)).model_dump()
    if service.can_see_identity(actor, c):
        p = service.identity(db, actor, c)
        out["complainant"] = {"name": p.name, "phone": p.phone} if p else None
    return out


class Decision(BaseModel):
    decision: str
    reason: str = ""
    on: date | None = None


@router.post("/{complaint_id}/decide")
def decide(complaint_id: int, body: Decision, db: DB, actor: CurrentActor) -> ComplaintOut:
    c = service.decide(db, actor, complaint_id, decision=body.decision, reason=body.reason, on=body.on)
    return ComplaintOut.of(c, service.can_see_identity(actor, c))
