"""Case-file review through the API: rounds (draw, read with the verification and per-unit
results, publish), scoring, appeals and their decision (the same services as the console)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_page
from . import service
from .schemas import AppealIn, FileOut, RoundDetail, RoundIn, RoundOut, ScoreIn

router = APIRouter(prefix="/review", tags=["review"])


def _detail(db, rnd) -> RoundDetail:
    return RoundDetail(**RoundOut.model_validate(rnd).model_dump(), verified=service.verify_round(db, rnd),
                       files=[FileOut.model_validate(f) for f in service.round_files(db, rnd)],
                       results=service.unit_results(db, rnd))


@router.get("/rounds")
def list_rounds(response: Response, db: DB, actor: CurrentActor, args: ApiList,
                year: Annotated[int | None, Query(ge=1949, le=2100)] = None, published: str = "",
                agency_id: int | None = None) -> PageOf[RoundOut]:
    """One page of the rounds of the reviewing agencies in the caller's jurisdiction (newest first
    unless ``sort``: created, name, agency, period, published), with the total (also ``X-Total-Count``)."""
    p = service.page_rounds(db, actor, q=args.q, year=year, published=published, agency_id=agency_id,
                            sort=args.sort, page=args.params)
    return api_page(response, p, RoundOut.model_validate)


@router.post("/rounds")
def create_round(body: RoundIn, db: DB, actor: CurrentActor) -> RoundDetail:
    rnd = service.create_round(db, actor, agency_id=body.agency_id, name=body.name, start=body.start,
                               end=body.end, seed=body.seed)
    return _detail(db, rnd)


@router.get("/rounds/{round_id}")
def get_round(round_id: int, db: DB, actor: CurrentActor) -> RoundDetail:
    return _detail(db, service.get_round(db, round_id))


@router.post("/rounds/{round_id}/publish")
def publish(round_id: int, db: DB, actor: CurrentActor) -> RoundDetail:
    return _detail(db, service.publish(db, actor, service.get_round(db, round_id)))


@router.get("/files/mine")
def my_files(response: Response, db: DB, actor: CurrentActor, args: ApiList, status: str = "") -> PageOf[FileOut]:
    """One page of the files waiting for the caller (to score, or an appeal to decide; ``status``:
    assigned or appealed; ``sort``: drawn, round, case, status), with the total (also
    ``X-Total-Count``). Was a bare list (API change)."""
    p = service.page_my_files(db, actor, status=status, sort=args.sort, page=args.params)
    return api_page(response, p, FileOut.model_validate)


@router.post("/files/{file_id}/score")
def score(file_id: int, body: ScoreIn, db: DB, actor: CurrentActor) -> FileOut:
    return FileOut.model_validate(service.score_file(db, actor, file_id, deductions=body.deductions,
                                                     reasons=body.reasons, vetoes=body.vetoes, comment=body.comment))


@router.post("/files/{file_id}/appeal")
def appeal(file_id: int, body: AppealIn, db: DB, actor: CurrentActor) -> FileOut:
    return FileOut.model_validate(service.appeal(db, actor, file_id, body.reason))


@router.post("/files/{file_id}/decide")
def decide(file_id: int, body: ScoreIn, db: DB, actor: CurrentActor) -> FileOut:
    return FileOut.model_validate(service.decide_appeal(db, actor, file_id, deductions=body.deductions,
                                                        reasons=body.reasons, vetoes=body.vetoes))
