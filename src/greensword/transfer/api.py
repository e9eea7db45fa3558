"""Transfer JSON API: follow-ups, their clocks and persons (masked by role), statistics."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_page, api_rows
from . import service
from .schemas import StepIn, TransferOut

router = APIRouter(prefix="/transfer", tags=["transfer"])


@router.get("")
def index(response: Response, db: DB, actor: CurrentActor, args: ApiList, status: str | None = None,
          kind: str | None = None, year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
          agency_id: int | None = None, outcome: str = "") -> PageOf[TransferOut]:
    """One page of the transfers the caller may see (latest approval first unless ``sort``:
    approved, sent, case, enterprise, kind, receiver, status, agency), with the total (also
    ``X-Total-Count``); ``q`` searches case number, enterprise and receiver."""
    p = service.page_transfers(db, actor, status=status, kind=kind, year=year, agency_id=agency_id,
                               outcome=outcome, q=args.q, sort=args.sort, page=args.params)
    return api_page(response, p, TransferOut.of)


@router.get("/stats")
def stats(response: Response, db: DB, actor: CurrentActor, args: ApiList,
          year: Annotated[int, Query(ge=1949, le=2100)]) -> PageOf[dict]:
    """One page of the per-unit figures of ``year`` (one row per unit of the caller's jurisdiction),
    with the total (also ``X-Total-Count``); ``q`` searches the unit's name. Was a bare list (API change)."""
    return api_rows(response, service.statistics(db, actor, year=year), args, search=("agency",))


@router.get("/{transfer_id}")
def one(transfer_id: int, db: DB, actor: CurrentActor) -> dict:
    t = service.get(db, actor, transfer_id)
    return {**TransferOut.of(t).model_dump(), "persons": service.persons(db, actor, t),
            "dues": [{"label": d.label, "due": d.due, "done_on": d.done_on, "optional": d.optional}
                     for d in service.dues(t)]}


@router.post("/{transfer_id}/decide")
def decide(transfer_id: int, body: StepIn, db: DB, actor: CurrentActor) -> TransferOut:
    return TransferOut.of(service.decide(db, actor, transfer_id, accepted=bool(body.accepted), on=body.on,
                                         reason=body.reason))


@router.post("/{transfer_id}/reconsider")
def reconsider(transfer_id: int, body: StepIn, db: DB, actor: CurrentActor) -> TransferOut:
    return TransferOut.of(service.request_reconsideration(db, actor, transfer_id, on=body.on))
