"""Penalty cases through the API: list, read (with events and the next legal deadlines), take a
workflow step, and the overdue steps (the same services as the console)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..core.errors import ValidationFailed
from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_page
from . import service
from .schemas import ActIn, CaseDetail, CaseOut, DueOut, EventOut, OverdueOut

router = APIRouter(prefix="/cases", tags=["cases"])


def _detail(db, c) -> CaseDetail:
    today = now().date()
    return CaseDetail(**CaseOut.model_validate(c).model_dump(), facts=c.facts,
                      events=[EventOut.model_validate(e) for e in service.events(db, c)],
                      next_dues=[DueOut.model_validate(d) for d in service.open_dues(db, c, today)])


@router.get("")
def list_cases(response: Response, db: DB, actor: CurrentActor, args: ApiList, stage: str = "", source: str = "",
               violation: str = "", agency_id: int | None = None) -> PageOf[CaseOut]:
    """One page of the cases the caller may see (newest discovery first unless ``sort``:
    discovered, number, enterprise, stage, filed, fine), with the total (also ``X-Total-Count``);
    ``q`` searches party, credit code, case number and title; ``agency_id``: the cases of that unit
    and the units under it (within the caller's jurisdiction)."""
    p = service.page_cases(db, actor, stage=stage or None, q=args.q or None, source=source or None,
                           violation=violation or None, agency_id=agency_id, sort=args.sort, page=args.params)
    return api_page(response, p, CaseOut.model_validate)


@router.get("/overdue")
def overdue(response: Response, db: DB, actor: CurrentActor, args: ApiList,
            limit: Annotated[str | None, Query(include_in_schema=False)] = None) -> PageOf[OverdueOut]:
    """One page of the open cases with a statutory step past due today, each with its first
    overdue step (newest discovery first unless ``sort``, as the case list), with the total (also
    ``X-Total-Count``); ``q`` searches as the case list. The old ``limit`` is refused: page instead."""
    if limit is not None:
        raise ValidationFailed("参数 limit 已停用：逾期案件列表按 page 与 page_size 分页，总数见 total",
                               code="list.bad_param", details=[{"column": "limit", "reason": "改用 page_size"}])
    p = service.page_overdue(db, actor, now().date(), q=args.q or None, sort=args.sort, page=args.params)
    return api_page(response, p, lambda x: OverdueOut(case=CaseOut.model_validate(x[0]), due=DueOut.model_validate(x[1])))


@router.get("/{case_id}")
def get_case(case_id: int, db: DB, actor: CurrentActor) -> CaseDetail:
    return _detail(db, service.get_case(db, actor, case_id))


@router.post("/{case_id}/act/{action}")
def act(case_id: int, action: str, body: ActIn, db: DB, actor: CurrentActor) -> CaseDetail:
    c = service.act(db, actor, case_id, action, on=body.on, data=body.data)
    return _detail(db, c)
