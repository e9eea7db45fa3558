"""What the leader's dashboard shows, gathered from the domains' services and queries (it writes
nothing and reads no table of its own)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core.auth import Actor
from ..core.timeutil import now
from ..evaluation import service as evaluation
from ..evaluation import statistics
from ..offsite import queries as offsite
from ..oversight import service as oversight

#: Overdue cases the panel lists; 共 N 条，查看全部 opens /cases?overdue=1 with them all.
OVERDUE_PANEL = 15


def overview(session: Session, actor: Actor, agency_id: int | None = None, today: date | None = None) -> dict:
    unit = evaluation.unit_for(session, actor, agency_id)
    today = today or now().date()
    y = today.year
    ytd = statistics.Filters(date(y, 1, 1), today)
    ranked = unit.level in ("province", "city", "county")
    # every period the panels read, computed side by side (the year so far, its 同比 and 环比
    # periods, and this and last year for the ranking cards)
    statistics.prefetch(session, [ytd, ytd.same_period_last_year(), ytd.previous_period()] + (
        [statistics.Filters(date(y, 1, 1), date(y, 12, 31)), statistics.Filters(date(y - 1, 1, 1), date(y - 1, 12, 31))]
        if ranked else []))
    rep = statistics.report(session, unit, ytd)["unit"]
    cur = statistics.monthly(session, unit, y, keys=("cases_filed", "decisions", "fines_yuan"))
    last = statistics.monthly(session, unit, y - 1, keys=("cases_filed",))
    months = {"filed": cur["cases_filed"], "decided": cur["decisions"],
              "fines": [(v or 0) / 10_000 for v in cur["fines_yuan"]], "filed_last": last["cases_filed"]}
    card = trend = None
    if ranked:
        cards = {c.agency_id: c for c in evaluation.evaluate(session, year=y, level=unit.level, previous=False)}
        prev = {c.agency_id: c for c in evaluation.evaluate(session, year=y - 1, level=unit.level, previous=False)}
        card = cards.get(unit.id)
        trend = [(y - 1, prev[unit.id].total if unit.id in prev else None), (y, card.total if card else None)]
    below = _descendants(session, unit)
    flows = [r for r in oversight.flows_by_unit(session, actor, year=y, on=today)
             if r["agency_id"] == unit.id or r["agency_id"] in below]
    totals = {k: sum(r[k] for r in flows) for k in oversight.FLOW_LABELS}
    recs = [r for r in oversight.open_recommendations(session, actor, on=today)
            if r["agency_id"] == unit.id or r["agency_id"] in below][:10]
    return {"unit": unit, "rep": rep, "flows": totals, "flow_labels": oversight.FLOW_LABELS, "audit_recs": recs, "months": months, "card": card, "trend": trend, "year": y,
            "overdue": cases.overdue(session, actor, today, limit=OVERDUE_PANEL),
            "overdue_total": len(cases.overdue_ids(session, actor, today)), "leads": offsite.open_leads(session, unit.path),
            "labels": statistics.LABELS, "rank_label": evaluation.rank_label}


def _descendants(session: Session, unit) -> set[int]:
    from sqlalchemy import select

    from ..registry.models import Agency

    return set(session.execute(select(Agency.id).where(Agency.path.startswith(unit.path, autoescape=True))).scalars())
