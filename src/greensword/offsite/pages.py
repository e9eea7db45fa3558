"""Lead console: the ranked list (filters by county, detector, status; overdue flagged), a lead's
page with the series plotted against the limit and the flagged span, the evidence, and the
screening actions."""

import re
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ..core.errors import DomainError, ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import aware, now
from ..hj212 import queries as hj212
from ..registry import service as registry
from ..webkit.deps import DB, CurrentActor, FormFields
from ..webkit.flash import verified
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.templating import NavItem, add_nav, fmt_num, render
from . import service
from .models import Lead

router = APIRouter(include_in_schema=False)

_CODE = re.compile(r"\b[wae]\d{5}\b")
_EXP = re.compile(r"-?\d+(?:\.\d+)?e[+-]?\d+")


def in_words(text: str) -> str:
    """A detector's explanation as an officer reads it: factor codes as names (w21003 → 氨氮),
    numbers without exponents (9.156e+05 → 915,600)."""
    text = _CODE.sub(lambda m: hj212.factor_name(m.group(0)), text or "")
    return _EXP.sub(lambda m: fmt_num(float(m.group(0))), text)


def _words() -> dict:
    return {"factor_label": hj212.factor_label, "factor_name": hj212.factor_name, "in_words": in_words}
add_nav(NavItem("非现场线索", "/offsite/leads", roles=("officer", "leader", "admin"), order=25))


LEAD_EXPORT_HEADER = ["线索编号", "企业", "统一社会信用代码", "监测点MN", "类型", "因子", "开始时间", "结束时间",
                      "重复合并次数", "排序分", "状态", "响应期限", "是否超期", "甄别理由", "办结结果"]


def _lead_filters(status: str, detector: str, agency_id: int | None, overdue: str, args) -> dict:
    return {"status": status, "detector": detector, "agency_id": agency_id, "q": args.q,
            "overdue_only": overdue == "1"}


@router.get("/offsite/leads")
def leads(request: Request, db: DB, actor: CurrentActor, args: List, status: str = "", detector: str = "",
          agency_id: int | None = None, overdue: str = ""):
    p = service.page_leads(db, actor, **_lead_filters(status, detector, agency_id, overdue, args), sort=args.sort,
                           page=args.params)
    return render(request, "offsite/leads.html", {
        "p": p, "items": p.items, "status": status, "detector": detector, "agency_id": agency_id, "q": args.q,
        "overdue_only": overdue, "agencies": registry.list_agencies(db, actor, level="county"),
        "names": service.DETECTOR_NAMES, "statuses": service.STATUS, "overdue": service.overdue, "now": now(),
        **_words()})


@router.get("/offsite/leads.{fmt}")
def leads_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, status: str = "",
                 detector: str = "", agency_id: int | None = None, overdue: str = ""):
    """Every lead of the list's filters, in its order, streamed (CSV or Excel)."""
    filters = _lead_filters(status, detector, agency_id, overdue, args)
    total = service.page_leads(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total  # checks first
    at = now()

    def rows(session):
        for x in service.iter_leads(session, actor, sort=args.sort, **filters):
            e = x.enterprise
            yield [x.id, e.name if e else "", e.uscc if e else "", x.mn, service.DETECTOR_NAMES.get(x.detector, x.detector),
                   hj212.factor_name(x.factor), aware(x.start).strftime("%Y-%m-%d %H:%M"),
                   aware(x.end).strftime("%Y-%m-%d %H:%M"), x.repeats, round(x.rank_score, 2),
                   service.STATUS.get(x.status, x.status), aware(x.due_at).strftime("%Y-%m-%d %H:%M"),
                   "是" if service.overdue(x, at) else "否", x.reason or "", x.outcome or ""]

    name = f"非现场线索-{at:%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{name}.csv", LEAD_EXPORT_HEADER, rows, total)
    if fmt == "xlsx":
        return xlsx_response(request, f"{name}.xlsx", "非现场线索", LEAD_EXPORT_HEADER, rows, total)
    raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")


def _series(lead: Lead) -> dict:
    """Minute series of the lead's factor around its span (the plot), via DuckDB over the lake."""
    lo = (aware(lead.start) - timedelta(hours=12)).replace(tzinfo=None)
    hi = (aware(lead.end) + timedelta(hours=12)).replace(tzinfo=None)
    days = sorted({(lo + timedelta(days=i)).date() for i in range((hi - lo).days + 2)})
    factor = lead.factor
    if factor == "*":
        row = hj212.lake_rows("minute", days, "SELECT factor FROM {src} WHERE mn = ? AND factor NOT LIKE 'e1%' "
                              "AND factor NOT IN ('a19001', 'a00000', 'w00000', 'w01001') LIMIT 1", [lead.mn])
        factor = row[0][0] if row else None
    if factor is None:
        return {"factor": lead.factor, "points": [], "flags": []}
    rows = hj212.lake_rows("minute", days, "SELECT strftime(data_time, '%Y-%m-%d %H:%M'), coalesce(zs_value, value), "
                           "flag FROM {src} WHERE mn = ? AND factor = ? AND data_time >= ? AND data_time < ? "
                           "ORDER BY data_time", [lead.mn, factor, lo, hi])
    return {"factor": factor, "points": [[t, v] for t, v, _ in rows],
            "flags": [[t, v, f] for t, v, f in rows if f and f != "N"]}


@router.get("/offsite/leads/{lead_id}")
def lead_page(request: Request, lead_id: int, db: DB, actor: CurrentActor, error: str = "", sig: str = ""):
    # a message from the URL is shown only when this server signed it (no injected text)
    return _lead_page(request, lead_id, db, actor, error=verified(error, sig))


def _lead_page(request: Request, lead_id: int, db, actor, error: str = "", status_code: int = 200):
    lead = service.get_lead(db, actor, lead_id)
    series = _series(lead)
    limit = None
    if series.get("factor"):
        lim = service.limits_from_registry(db, mns=[lead.mn]).get(lead.mn, series["factor"])
        limit = lim[0]
    officers = []
    if lead.enterprise is not None:               # every one of them, with a filter box (never cut)
        officers = registry.assignable_officers(db, actor, lead.enterprise.agency_id)
    return render(request, "offsite/lead.html", {
        "lead": lead, "series": series, "limit": limit,
        "span": [aware(lead.start).strftime("%Y-%m-%d %H:%M"), aware(lead.end).strftime("%Y-%m-%d %H:%M")], "names": service.DETECTOR_NAMES, "statuses": service.STATUS,
        "overdue": service.overdue(lead), "officers": officers, "error": error,
        "actions": [a for a, src in service.TRANSITIONS.items() if lead.status in src], **_words()},
        status_code=status_code)


@router.post("/offsite/leads/{lead_id}/act/{action}")
def lead_act(request: Request, lead_id: int, action: str, db: DB, actor: CurrentActor, form: FormFields):
    try:
        service.act(db, actor, lead_id, action, reason=str(form.get("reason", "")))
    except DomainError as exc:
        # shown on the page itself: a message taken from the URL could be anyone's text
        db.rollback()
        return _lead_page(request, lead_id, db, actor, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/offsite/leads/{lead_id}", status_code=303)
