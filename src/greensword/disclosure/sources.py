"""What disclosure reads, and only through the other domains' services: the registry directory,
published inspection results (inspection.service) and draws (inspection.queries), penalty decisions (cases.service:
``publishable_decisions`` where the cases domain provides it, else its case list), training
figures are not public. Every function returns plain dicts with public fields only — no officer,
no person, no internal note."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..core.auth import Actor
from ..core.pagination import Page, PageParams
from ..registry import service as registry
from .rules import rules

#: The public reads as an actor with the whole tree in view and no role: every write service
#: refuses it (require_role), every read service sees only what it would show anyone.
PUBLIC = Actor(username="public", roles=frozenset(), agency_path="/")


def enterprise_public(e) -> dict:
    return {"id": e.id, "uscc": e.uscc, "name": e.name, "address": e.address,
            "region": e.agency.name, "region_code": e.agency.division_code, "industry_code": e.industry_code,
            "key_polluter": registry.label("key_polluter_categories", e.key_polluter or ""),
            "credit_class": e.credit_class, "credit_class_name": registry.label("credit_classes", e.credit_class),
            "permit_no": e.permit_no or "", "permit_valid_until": e.permit_valid_until}


def search_enterprises(session: Session, *, q: str = "", region_id: int | None = None, industry: str = "",
                       credit_class: str = "", page: int = 1, size: int = 20):
    return registry.list_enterprises(session, PUBLIC, agency_id=region_id, q=q or None,
                                     industry_prefix=industry or None, credit_class=credit_class or None,
                                     page=PageParams(page=page, size=size))


def enterprise_by_uscc(session: Session, uscc: str):
    return registry.enterprise_by_uscc(session, uscc)


def enterprise(session: Session, enterprise_id: int):
    return registry.get_enterprise(session, PUBLIC, enterprise_id)


def regions(session: Session) -> list[dict]:
    return [{"id": a.id, "code": a.division_code, "name": a.name, "level": a.level}
            for a in registry.list_agencies(session, PUBLIC) if a.level in ("province", "city", "county")]


def inspections(session: Session, *, enterprise_id: int | None = None, limit: int = 5000) -> list[dict]:
    from ..inspection import service as inspection

    return inspection.published_results(session, enterprise_id=enterprise_id, limit=limit)


def draws(session: Session, page: PageParams | None = None) -> Page[dict]:
    """One page of the published draws (latest first) with the total."""
    from ..inspection import queries as inspection

    return inspection.drawn_plans(session, page)


def draw_inputs(session: Session, plan_id: int) -> dict:
    from ..inspection import queries as inspection

    return inspection.draw_inputs(session, plan_id)


def _add_working_days(d: date, n: int) -> date:
    """Weekdays only (statutory holidays are not in this fallback; the cases domain's own
    publication deadline, when it provides one, uses the official calendar)."""
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def decisions(session: Session, *, enterprise_id: int | None = None, enterprise_name: str | None = None) -> list[dict]:
    """Penalty decisions made public, newest first, each with the legal basis, the amount, the
    date by which it had to be published, and its status (公开 / 已撤回 with the reason)."""
    from ..cases import service as cases

    r = rules()
    out = []
    if hasattr(cases, "publishable_decisions"):
        for d in cases.publishable_decisions(session, PUBLIC):
            d = d.model_dump() if hasattr(d, "model_dump") else dict(d)
            if enterprise_id is not None and d["enterprise_id"] != enterprise_id:
                continue
            out.append({"case_id": d["case_id"], "case_number": d["case_number"], "enterprise_id": d["enterprise_id"],
                        "enterprise": d["enterprise_name"], "uscc": d["uscc"], "violation": d["violation"],
                        "breach": d.get("breach", ""), "penalty_basis": d.get("penalty_basis", ""),
                        "fine": d.get("fine") or 0, "decided_on": d["decided_on"], "publish_by": d.get("publish_by"),
                        "status": "公开", "note": ""})
    else:
        for c in cases.list_cases(session, PUBLIC, q=enterprise_name, limit=100000):
            if enterprise_id is not None and c.enterprise_id != enterprise_id:
                continue
            if c.outcome != "penalty" and not (c.decided_on and c.fine):
                continue
            if c.decided_on is None:
                continue
            v = (c.discretion or {}).get("violation") or {}
            appeal = (c.appeal or {}).get("outcome", "")
            withdrawn = appeal in r.withdraw_on_appeal
            out.append({"case_id": c.id, "case_number": c.number, "enterprise_id": c.enterprise_id, "enterprise": c.enterprise.name,
                        "uscc": c.enterprise.uscc, "violation": v.get("name", c.title),
                        "breach": v.get("breach", ""), "penalty_basis": v.get("penalty", ""), "fine": c.fine or 0,
                        "decided_on": c.decided_on,
                        "publish_by": _add_working_days(c.decided_on, r.publication.on(c.decided_on).working_days),
                        "status": "已撤回" if withdrawn else "公开",
                        "note": ("该决定经行政复议或诉讼被撤销，依法撤回公开" if withdrawn
                                 else r.note_on_appeal.get(appeal, ""))})
    _mark_repaired(session, out)
    out.sort(key=lambda d: (d["decided_on"], d["case_number"]), reverse=True)
    return out


def _mark_repaired(session: Session, rows: list[dict]) -> None:
    """A decision whose credit record the deciding agency repaired (信用修复) shows 已信用修复."""
    from ..portal import credit

    repaired = credit.repaired_cases(session, [d["case_id"] for d in rows if d.get("case_id")])
    for d in rows:
        on = repaired.get(d.get("case_id"))
        if on is not None and d["status"] == "公开":
            d["status"] = "已信用修复"
            d["note"] = f"{on} 经作出决定的机关审核予以信用修复（信用修复管理办法）"
