"""Demo stage: evaluators' entries (organisation, team building, training, special actions, air
quality change) for last year and this year, so the ranking, the progress collectives and the
score cards have something to explain."""

from __future__ import annotations

from sqlalchemy import select

from ..registry.models import Agency
from . import service


def generate(session, ctx) -> None:
    rng = ctx.rng("evaluation")
    units = session.execute(select(Agency).where(Agency.level.in_(("province", "city", "county")))
                            .order_by(Agency.division_code)).scalars().all()
    bar = ctx.task("评估录入", len(units))
    for year in (ctx.today.year - 1, ctx.today.year):
        sc = service.scheme(year)
        entered = [i for i in sc.indicators if i.kind == "entered"]
        for u in units:
            base = rng.uniform(5.5, 9.5) + (0.6 if year == ctx.today.year else 0)
            for ind in entered:
                v = round(min(ind.max_value, max(0, base + rng.uniform(-1.5, 1.5))), 1)
                service.enter(session, ctx.actor, year=year, agency_id=u.id, indicator=ind.code, value=v,
                              evidence=f"{year}年{ind.name}佐证材料（演示）")
            for adj in sc.adjustments:
                v = round(rng.uniform(adj.min / adj.per_point, adj.max / adj.per_point), 1)
                service.enter(session, ctx.actor, year=year, agency_id=u.id, indicator=adj.code, value=v,
                              evidence=f"{year}年优良天数比率同比变化（演示）")
            if year == ctx.today.year:
                bar.advance()
