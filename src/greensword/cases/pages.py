"""Case console: list with due-date badges and overdue steps, referrals from on-site records,
the case page (timeline, deadlines, discretion, documents, evidence, measures, next actions),
and the enterprise's study-points page."""

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..core.errors import DomainError, PermissionDenied, ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor, FormFields
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.templating import NavItem, add_nav, render
from . import deadlines, discretion, queries, service, workflow
from .models import CaseDocument, Measure

router = APIRouter(include_in_schema=False)
add_nav(NavItem("案件办理", "/cases", roles=("officer", "leader", "admin", "reviewer"), order=40))

#: form fields each action reads (besides the date)
FIELDS = {
    "file": ["late_reason"], "return": ["reason"], "withdraw": ["reason"],
    "extend": ["reason", "kind", "days", "record"],
    "decide": ["fine", "departure_reason", "use_points", "defence_received", "hearing_waived"],
    "decide_non_penalty": ["reason", "defence_received", "hearing_waived"],
    "discuss": ["defence_received", "hearing_waived", "participants", "conclusion"],
    "legal_review": ["qualification", "opinion", "notes", "defence_received", "hearing_waived"],
    "notice_hearing": ["hearing_date", "chair"], "hold_hearing": ["record", "reschedule_reason"],
    "suspend": ["reason", "document"], "pause": ["kind", "document"], "end_pause": ["kind"],
    "record_payment": ["amount", "receipt"], "close": ["court_enforced"], "record_appeal": ["kind", "outcome"],
}


#: How many overdue steps and pending referrals the case list's panels show (the rest: 查看全部).
PANEL = 10


def _filters(args, stage: str, source: str, violation: str, overdue: str, agency_id: int | None = None) -> dict:
    return {"stage": stage or None, "q": args.q or None, "source": source or None, "violation": violation or None,
            "overdue_on": now().date() if overdue == "1" else None, "agency_id": agency_id}


def _units(db, actor, agency_id: int | None) -> dict:
    """The 办案单位 filter: the province/city/county units of the jurisdiction in a drop-down, or
    only their number and the chosen one when there are more than it holds (the picker searches)."""
    from ..registry import service as registry
    from ..webkit.templating import templates

    total = registry.count_scope_units(db, actor)
    many = total > templates.env.globals["unit_select_max"]
    chosen = registry.get_agency(db, actor, agency_id) if agency_id is not None else None
    return {"units": [] if many else registry.scope_units(db, actor), "units_total": total, "chosen": chosen,
            "agency_id": agency_id}


@router.get("/cases")
def case_list(request: Request, db: DB, actor: CurrentActor, args: List, stage: str = "", source: str = "",
              violation: str = "", overdue: str = "", agency_id: int | None = None):
    from ..inspection import queries as inspection_queries

    today = now().date()
    p = service.page_cases(db, actor, **_filters(args, stage, source, violation, overdue, agency_id), sort=args.sort,
                           page=args.params)
    pauses_of = service.pauses_by_case(db, [c.id for c in p.items])
    rows = [{"c": c, "next": (service.open_dues(db, c, today, pauses_of) or [None])[0]} for c in p.items]
    return render(request, "cases/list.html", {
        "rows": rows, "p": p, "stage": stage, "q": args.q, "source": source, "violation": violation,
        "overdue_only": overdue, "stages": workflow.STAGES, "sources": service.SOURCES,
        "violations": discretion.rules().violations, "violation_name": queries.violation_name, "today": today,
        "overdue": service.overdue(db, actor, today, limit=PANEL),
        "overdue_total": service.overdue_count(db, actor, today),
        "referrals": inspection_queries.page_pending_referrals(db, actor, page=PageParams(size=PANEL)),
        **(_units(db, actor, agency_id) if not actor.is_enterprise else {"units": [], "units_total": 0})})


@router.get("/cases/referrals")
def referrals(request: Request, db: DB, actor: CurrentActor, args: List):
    """Every violation found on site waiting to become a case, paged and searchable."""
    from ..inspection import queries as inspection_queries

    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看待立案的检查发现", code="cases.forbidden")
    p = inspection_queries.page_pending_referrals(db, actor, q=args.q, sort=args.sort, page=args.params)
    return render(request, "cases/referrals.html", {"p": p, "items": p.items, "q": args.q})


CASE_HEADER = ["案号", "当事人", "统一社会信用代码", "案由", "违法行为类型", "来源", "来源说明", "阶段", "发现日期", "立案日期",
               "决定日期", "罚款（元）", "拟罚款（元）", "来源线索编号"]


@router.get("/cases.{fmt}")
def case_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, stage: str = "",
                source: str = "", violation: str = "", overdue: str = "", agency_id: int | None = None):
    """Every case of the list's filters, in its order, streamed (CSV or Excel)."""
    filters = _filters(args, stage, source, violation, overdue, agency_id)
    total = service.page_cases(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")
    names = {v.code: v.name for v in discretion.rules().violations}

    def rows(session):
        for c in service.iter_cases(session, actor, sort=args.sort, **filters):
            yield [c.number, c.enterprise.name, c.enterprise.uscc, c.title,
                   names.get(c.violation_code, c.violation_code) if c.violation_code else "未认定",
                   service.SOURCES.get(c.source, c.source), c.source_ref or "", workflow.STAGES.get(c.stage, c.stage),
                   c.discovered_on.isoformat() if c.discovered_on else "", c.filed_on.isoformat() if c.filed_on else "",
                   c.decided_on.isoformat() if c.decided_on else "", c.fine if c.fine is not None else "",
                   c.fine_proposed if c.fine_proposed is not None else "", c.lead_id or ""]

    name = f"行政处罚案件-{now():%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", CASE_HEADER, rows, total)
    return xlsx_response(request, f"{name}.xlsx", "行政处罚案件", CASE_HEADER, rows, total)


@router.post("/cases/referrals/{referral_id}/open")
def open_referral(referral_id: int, db: DB, actor: CurrentActor):
    c = service.open_from_referral(db, actor, referral_id)
    return RedirectResponse(f"/cases/{c.id}", status_code=303)


def _ctx(db, actor, c, error: str = "") -> dict:
    today = now().date()
    rules = discretion.rules()
    return {
        "c": c, "stages": workflow.STAGES, "events": service.events(db, c), "action_label": service.action_label, "dues": service.due_list(db, c, today),
        "today": today, "documents": service.case_documents(db, c), "evidence": service.evidence_list(db, c),
        "measures": service.measures(db, c), "measure_names": service.MEASURES,
        "actions": workflow.allowed(c, actor.roles), "fields": FIELDS, "error": error,
        "violation": rules.violation(c.violation_code) if c.violation_code else None,
        "violations": rules.violations, "modifiers": rules.modifiers, "conditions": rules.conditions,
        "surcharge": service.surcharge(db, c, today), "sources": service.SOURCES,
        "points": service.points_balance(db, c.enterprise_id), "pause_kinds": deadlines.PAUSE_KINDS,
        "pauses": service.pauses(db, c), "payments": service.payments(db, c), "recusals": service.recusals(db, c),
        "transfers": {t.id: t for t in (service.get_transfer(db, actor, m.id, today) for m in service.measures(db, c)
                                        if m.kind in service.TRANSFERS)} if not actor.is_enterprise else {}}


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: int, db: DB, actor: CurrentActor):
    c = service.get_case(db, actor, case_id)
    return render(request, "cases/case.html", _ctx(db, actor, c))


def _redo(request, db, actor, case_id, fn):
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        c = service.get_case(db, actor, case_id)
        return render(request, "cases/case.html", _ctx(db, actor, c, exc.message), status_code=exc.status)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/act/{action}")
def case_act(request: Request, case_id: int, action: str, db: DB, actor: CurrentActor, form: FormFields):
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    data: dict = {}
    for f in FIELDS.get(action, []):
        v = form.get(f)
        if v in (None, ""):
            continue
        if f in ("fine", "amount", "days"):
            data[f] = int(str(v).replace(",", ""))
        elif f == "participants":
            data[f] = [x.strip() for x in str(v).replace("，", ",").split(",") if x.strip()]
        elif f in ("use_points", "defence_received", "hearing_waived", "court_enforced"):
            data[f] = v == "1"
        else:
            data[f] = str(v)
    return _redo(request, db, actor, case_id, lambda: service.act(db, actor, case_id, action, on=on, data=data))


@router.post("/cases/{case_id}/facts")
def case_facts(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    c = service.get_case(db, actor, case_id)
    return _redo(request, db, actor, case_id, lambda: service.update_facts(
        db, actor, c, facts=str(form.get("facts", c.facts)), violation_code=str(form.get("violation_code") or "") or None,
        major=form.get("major") == "1"))


@router.post("/cases/{case_id}/discretion")
def case_discretion(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    c = service.get_case(db, actor, case_id)
    answers = {k[7:]: str(v) for k, v in form.items() if k.startswith("factor-") and v}
    modifiers = [m for m in ("lighter", "heavier", "mitigated") if form.get(f"mod-{m}") == "1"]
    facts = {k[5:]: True for k, v in form.items() if k.startswith("fact-") and v == "1"}
    fine = form.get("fine")
    return _redo(request, db, actor, case_id, lambda: service.apply_discretion(
        db, actor, c, answers=answers, modifiers=modifiers, facts=facts,
        fine=int(str(fine)) if fine not in (None, "") else None, departure_reason=str(form.get("departure_reason", ""))))


@router.get("/cases/{case_id}/documents/{doc_id}")
def case_document(case_id: int, doc_id: int, db: DB, actor: CurrentActor):
    c = service.get_case(db, actor, case_id)
    doc = db.get(CaseDocument, doc_id)
    if doc is None or doc.case_id != c.id:
        from ..core.errors import NotFound

        raise NotFound("文书不存在", code="cases.document_not_found")
    data = service.document_bytes(doc)
    from urllib.parse import quote

    if doc.kind == "evidence":
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.title)}"})
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc.title)}-{c.id}.docx"})


@router.post("/cases/{case_id}/measures")
def case_measure(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    c = service.get_case(db, actor, case_id)
    data = {k: str(v) for k, v in form.items() if k in ("receiver", "reason", "reinspected_on") and v}
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    return _redo(request, db, actor, case_id, lambda: service.add_measure(db, actor, c, str(form.get("kind")),
                                                                          started_on=on, data=data))


@router.post("/cases/{case_id}/measures/{measure_id}/extend")
def case_measure_extend(request: Request, case_id: int, measure_id: int, db: DB, actor: CurrentActor,
                        reason: str = Form("")):
    service.get_case(db, actor, case_id)
    m = db.get(Measure, measure_id)
    return _redo(request, db, actor, case_id, lambda: service.extend_measure(db, actor, m, reason))


# --- 回避, 暂缓/分期, transfers, publication ------------------------------------------------------

@router.post("/cases/{case_id}/recusals")
def case_recusal(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    c = service.get_case(db, actor, case_id)
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    return _redo(request, db, actor, case_id, lambda: service.apply_recusal(
        db, actor, c, person=str(form.get("person", "")), reason=str(form.get("reason", "")), on=on))


@router.post("/cases/{case_id}/recusals/{recusal_id}/decide")
def case_recusal_decide(request: Request, case_id: int, recusal_id: int, db: DB, actor: CurrentActor, form: FormFields):
    service.get_case(db, actor, case_id)
    r = next((x for x in service.recusals(db, service.get_case(db, actor, case_id)) if x.id == recusal_id), None)
    if r is None:
        from ..core.errors import NotFound

        raise NotFound("回避申请不存在", code="cases.recusal_not_found")
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    return _redo(request, db, actor, case_id, lambda: service.decide_recusal(
        db, actor, r, granted=form.get("granted") == "1", reason=str(form.get("reason", "")), on=on))


@router.post("/cases/{case_id}/payment-plan")
def case_payment_plan(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    c = service.get_case(db, actor, case_id)
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    kind = str(form.get("kind", ""))

    def run():
        until = date.fromisoformat(str(form["until"])) if form.get("until") else None
        items = []
        for line in str(form.get("instalments", "")).splitlines():     # "2026-04-30 37000" per line
            parts = line.replace("，", " ").replace(",", " ").split()
            if len(parts) == 2:
                items.append((date.fromisoformat(parts[0]), int(parts[1])))
        return service.approve_payment_plan(db, actor, c, kind=kind, reason=str(form.get("reason", "")), on=on,
                                            until=until, instalments=items)
    return _redo(request, db, actor, case_id, run)


@router.post("/cases/{case_id}/transfers/{measure_id}/{step}")
def case_transfer_step(request: Request, case_id: int, measure_id: int, step: str, db: DB,
                       actor: CurrentActor, form: FormFields):
    from datetime import datetime

    from ..core.timeutil import TZ

    c = service.get_case(db, actor, case_id)
    m = db.get(Measure, measure_id)
    if m is None or m.case_id != c.id:
        from ..core.errors import NotFound

        raise NotFound("移送记录不存在", code="cases.transfer_not_found")
    at_raw = str(form.get("at") or "")
    at = datetime.fromisoformat(at_raw).replace(tzinfo=TZ) if at_raw else now()
    steps = {
        "approve": lambda: service.approve_transfer(db, actor, m, approved=form.get("approved", "1") == "1", at=at,
                                                    reason=str(form.get("reason", ""))),
        "send": lambda: service.send_transfer(db, actor, m, at=at),
        "receipt": lambda: service.record_receipt(db, actor, m, str(form.get("receipt_no", "")), at.date()),
        "police": lambda: service.record_police_decision(db, actor, m, decision=str(form.get("decision", "")),
                                                         on=at.date()),
    }
    if step not in steps:
        from ..core.errors import NotFound

        raise NotFound("未知的移送步骤", code="cases.transfer_step")
    return _redo(request, db, actor, case_id, steps[step])


@router.post("/cases/{case_id}/publish")
def case_publish(request: Request, case_id: int, db: DB, actor: CurrentActor, form: FormFields):
    c = service.get_case(db, actor, case_id)
    on = date.fromisoformat(str(form.get("on") or now().date().isoformat()))
    return _redo(request, db, actor, case_id, lambda: service.mark_published(db, actor, c, on))
