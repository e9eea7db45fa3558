"""Transfer JSON API: follow-ups, their clocks and persons (masked by role), statistics."""

from fastapi import APIRouter

from ..webkit.deps import DB, CurrentActor
from . import service
from .schemas import StepIn, TransferOut

router = APIRouter(prefix="/transfer", tags=["transfer"])


@router.get("")
def index(db: DB, actor: CurrentActor, status: str | None = None, year: int | None = None) -> list[TransferOut]:
    return [TransferOut.of(t) for t in service.list_transfers(db, actor, status=status, year=year)]


@router.get("/stats")
def stats(db: DB, actor: CurrentActor, year: int) -> list[dict]:
    return service.statistics(db, actor, year=year)


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
