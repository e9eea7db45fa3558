"""What the leader's dashboard shows, gathered from the domains' services and queries (it writes
nothing and reads no table of its own)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..cases import service as cases
from ..core import cache
from ..core.auth import Actor
from ..core.timeutil import now
from ..evaluation import service as evaluation
from ..evaluation import statistics
from ..offsite import queries as offsite
from ..oversight import service as oversight

#: Overdue cases the panel lists; 共 N 条，查看全部 opens /cases?overdue=1 with them all.
OVERDUE_PANEL = 15


def overview(session: Session, actor: Actor, agency_id: int | None = None, today: date | None = None) -> dict:
    """The unit (the actor's, or one below it) and every figure and list of its dashboard.

    The figures and lists are one cached block (core.cache) per unit, viewer's jurisdiction and
    day: a dashboard shown again before the next audited write costs a copy of it, not the dozen
    figures it gathers (4 statistics periods, the months, two rankings, three oversight flows, the
    overdue scan). After a write it is recomputed; when that took long (a loaded server), the
    previous block is served, marked with the time it was computed, while one background thread
    recomputes it — the same rule as every other slow figure."""
    unit = evaluation.unit_for(session, actor, agency_id)
    today = today or now().date()
    uid = unit.id               # read now: the refresh may run after this request's session is gone
    key = (uid, actor.is_enterprise, actor.enterprise_id, actor.agency_path, tuple(sorted(actor.roles)), today)
    figures = cache.cached(session, "dashboard.figures", key, refresh=lambda s: _figures(s, actor, uid, today))
    return {"unit": unit, **figures, "flow_labels": oversight.FLOW_LABELS, "labels": statistics.LABELS,
            "rank_label": evaluation.rank_label}


def _figures(session: Session, actor: Actor, unit_id: int, today: date) -> dict:
    """What the dashboard shows, as plain data (it is kept beyond the session that read it)."""
    from ..registry.models import Agency

    unit = session.get(Agency, unit_id)
    y = today.year
    ytd = statistics.Filters(date(y, 1, 1), today)
    ranked = unit.level in ("province", "city", "county")
    # every period the panels read, computed side by side (the year so far and its 同比 period —
    # the KPIs show no 环比 — and this and last year for the ranking cards)
    statistics.prefetch(session, [ytd, ytd.same_period_last_year()] + (
        [statistics.Filters(date(y, 1, 1), date(y, 12, 31)), statistics.Filters(date(y - 1, 1, 1), date(y - 1, 12, 31))]
        if ranked else []))
    rep = statistics.report(session, unit, ytd, chain=False)["unit"]
    cur = statistics.monthly(session, unit, y, keys=("cases_filed", "decisions", "fines_yuan"))
    last = statistics.monthly(session, unit, y - 1, keys=("cases_filed",))
    months = {"filed": cur["cases_filed"], "decided": cur["decisions"],
              "fines": [(v or 0) / 10_000 for v in cur["fines_yuan"]], "filed_last": last["cases_filed"]}
    card = trend = None
    if ranked:
        card = next((c for c in evaluation.evaluate(session, year=y, level=unit.level, previous=False)
                     if c.agency_id == unit.id), None)
        prev = next((c for c in evaluation.evaluate(session, year=y - 1, level=unit.level, previous=False)
                     if c.agency_id == unit.id), None)
        trend = [(y - 1, prev.total if prev else None), (y, card.total if card else None)]
    below = _descendants(session, unit)
    flows = [r for r in oversight.flows_by_unit(session, actor, year=y, on=today)
             if r["agency_id"] == unit.id or r["agency_id"] in below]
    totals = {k: sum(r[k] for r in flows) for k in oversight.FLOW_LABELS}
    recs = [r for r in oversight.open_recommendations(session, actor, on=today)
            if r["agency_id"] == unit.id or r["agency_id"] in below][:10]
    overdue = [{"id": c.id, "number": c.number, "enterprise": c.enterprise.name, "label": d.label, "due": d.due}
               for c, d in cases.overdue(session, actor, today, limit=OVERDUE_PANEL)]
    leads = [{"id": ld.id, "name": ld.enterprise.name if ld.enterprise else ld.mn,
              "explanation": (ld.evidence or {}).get("explanation", ""), "due_at": ld.due_at}
             for ld in offsite.open_leads(session, unit.path)]
    return {"rep": rep, "flows": totals, "audit_recs": recs, "months": months, "card": card, "trend": trend, "year": y,
            "overdue": overdue, "overdue_total": cases.overdue_count(session, actor, today), "leads": leads}


def _descendants(session: Session, unit) -> set[int]:
    from sqlalchemy import select

    from ..registry.models import Agency

    return set(session.execute(select(Agency.id).where(Agency.path.startswith(unit.path, autoescape=True))).scalars())
