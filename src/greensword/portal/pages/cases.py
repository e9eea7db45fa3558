"""The firm's own penalty cases (企业端 · 行政处罚案件): every case of the logged-in enterprise,
paged with the total, searchable and sortable; the home page shows the first ten and links here.
Officers have the console's case list (/cases)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...cases import queries as case_queries
from ...cases import service as cases
from ...core.errors import ValidationFailed
from ...webkit.deps import DB, CurrentActor
from ...webkit.listing import List
from ...webkit.templating import render

router = APIRouter(include_in_schema=False)

#: The sorts a firm may use: not the fine, whose order would hint at a proposal not yet decided.
SORTS = {"discovered": "发现日期", "number": "案号", "stage": "阶段", "filed": "立案日期"}


@router.get("/portal/cases")
def firm_cases(request: Request, db: DB, actor: CurrentActor, args: List, stage: str = ""):
    if not actor.is_enterprise:
        return RedirectResponse("/cases", status_code=303)
    if args.sort and args.sort.lstrip("-") not in SORTS:
        raise ValidationFailed(f"不能按“{args.sort[:40]}”排序，可排序的列：{'、'.join(SORTS.values())}",
                               code="list.bad_sort", details=[{"column": "sort", "reason": "不是可排序的列"}])
    p = cases.page_cases(db, actor, stage=stage or None, q=args.q or None, sort=args.sort, page=args.params)
    return render(request, "portal/cases.html", {"p": p, "q": args.q, "stage": stage,
                                                 "stages": case_queries.stage_names()})
