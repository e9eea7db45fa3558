"""Warnings inbox pages: the firm's list and answer form; the officer's list, the answer with its
evidence, accept or escalate; the lead page's "remind" button posts here."""

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...core.errors import DomainError
from ...core.pagination import PageParams
from ...core.timeutil import now
from ...webkit.deps import DB, CurrentActor, FormFields
from ...webkit.flash import error_query
from ...webkit.listing import List
from ...webkit.templating import NavItem, add_nav, render
from .. import warnings as service
from ._forms import download, export, files_of, officers_of, stamp, units_of

router = APIRouter(include_in_schema=False)
add_nav(NavItem("预警提醒", "/portal/warnings", roles=("enterprise",), order=41))


@router.post("/portal/leads/{lead_id}/remind")
def remind(request: Request, lead_id: int, db: DB, actor: CurrentActor, form: FormFields):
    try:
        service.remind(db, actor, lead_id, note=str(form.get("reason", "")))
    except DomainError as exc:
        db.rollback()
        return RedirectResponse(f"/offsite/leads/{lead_id}?{error_query(exc.message)}", status_code=303)
    return RedirectResponse(f"/offsite/leads/{lead_id}", status_code=303)


@router.get("/portal/leads/{lead_id}/warning")
def lead_warning(lead_id: int, db: DB, actor: CurrentActor):
    w = service.for_lead(db, actor, lead_id)
    return RedirectResponse(f"/portal/warnings/{w.id}", status_code=303)


def _filters(args, status, agency_id, overdue) -> dict:
    return {"q": args.q, "status": status, "agency_id": agency_id, "overdue_at": now() if overdue == "1" else None}


@router.get("/portal/warnings")
def warnings(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "", agency_id: int | None = None,
             overdue: str = ""):
    p = service.page_warnings(db, actor, **_filters(args, status, agency_id, overdue), sort=args.sort,
                              page=args.params)
    return render(request, "portal/warnings.html", {
        "p": p, "items": p.items, "status": status, "statuses": service.STATUS, "overdue": service.overdue,
        "overdue_only": overdue, "q": args.q, "agency_id": agency_id,
        "units": [] if actor.is_enterprise else units_of(db, actor)})


HEADER = ["预警编号", "预警", "企业", "统一社会信用代码", "属地机构", "发送时间", "答复期限", "状态", "是否超期未答复",
          "逾期答复", "答复时间", "答复内容"]


@router.get("/portal/warnings.{fmt}")
def warnings_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "",
                    agency_id: int | None = None, overdue: str = ""):
    filters = _filters(args, status, agency_id, overdue)
    total = service.page_warnings(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    at = now()

    def rows(session):
        for w in service.iter_warnings(session, actor, sort=args.sort, **filters):
            yield [w.id, w.title, w.enterprise.name, w.enterprise.uscc, w.agency.name, stamp(w.sent_at), stamp(w.due_at),
                   service.STATUS.get(w.status, w.status), "是" if service.overdue(w, at) else "否",
                   "是" if w.late else "否", stamp(w.answered_at), w.answer_text]

    return export(request, fmt, "预警提醒", HEADER, rows, total)


def _page(request, db, actor, warning_id: int, error: str = "", form: dict | None = None, status_code: int = 200):
    w = service.get_warning(db, actor, warning_id)
    return render(request, "portal/warning.html", {
        "w": w, "statuses": service.STATUS, "answers": service.ANSWERS, "overdue": service.overdue(w),
        "officers": [] if actor.is_enterprise else officers_of(db, actor, w.agency_id), "error": error,
        "form": form or {}, "today": now().date()}, status_code=status_code)


@router.get("/portal/warnings/{warning_id}")
def warning(request: Request, warning_id: int, db: DB, actor: CurrentActor):
    return _page(request, db, actor, warning_id)


@router.post("/portal/warnings/{warning_id}/answer")
def answer(request: Request, warning_id: int, db: DB, actor: CurrentActor, form: FormFields):
    kind, text, by = str(form.get("kind", "")), str(form.get("text", "")), str(form.get("rectify_by", "")).strip()
    try:
        try:
            rectify_by = date.fromisoformat(by) if by else None
        except ValueError:
            from ...core.errors import ValidationFailed

            raise ValidationFailed(f"整改完成日期“{by}”不是有效日期（格式 YYYY-MM-DD）", code="portal.bad_date") from None
        service.answer(db, actor, warning_id, kind=kind, text=text, files=files_of(form), rectify_by=rectify_by)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, warning_id, error=exc.message, form={"kind": kind, "text": text,
                                                                              "rectify_by": by},
                     status_code=exc.status)
    return RedirectResponse(f"/portal/warnings/{warning_id}", status_code=303)


@router.post("/portal/warnings/{warning_id}/decide")
def decide(request: Request, warning_id: int, db: DB, actor: CurrentActor, form: FormFields):
    officers = [int(v) for k, v in form.multi_items() if k == "officer" and str(v).isdigit()]
    try:
        service.decide(db, actor, warning_id, decision=str(form.get("decision", "")), note=str(form.get("note", "")),
                       officer_ids=officers)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, warning_id, error=exc.message, form={"note": str(form.get("note", ""))},
                     status_code=exc.status)
    return RedirectResponse(f"/portal/warnings/{warning_id}", status_code=303)


@router.get("/portal/warnings/{warning_id}/files/{sha}")
def warning_file(warning_id: int, sha: str, db: DB, actor: CurrentActor, thumb: int = 0):
    return download(*service.evidence_file(db, actor, warning_id, sha), thumb)
