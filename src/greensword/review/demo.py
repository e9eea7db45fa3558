"""Demo stage: a completed provincial case-file review of the year's closed cases — drawn with a
published seed, scored by reviewers from outside each unit, a few appeals decided by a second
reviewer, results published."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..core.auth import Actor
from ..core.errors import DomainError
from ..registry.models import Agency
from . import service
from .models import ReviewFile


def generate(session, ctx) -> None:
    rng = ctx.rng("review")
    province = session.execute(select(Agency).where(Agency.level == "province")).scalars().first()
    if province is None:
        return
    start = date(ctx.today.year, 1, 1)
    try:
        rnd = service.create_round(session, ctx.actor, agency_id=province.id, name=f"{start.year}年全省案卷集中评查",
                                   start=start, end=ctx.today, seed=f"{ctx.today.isoformat()} 评查摇号 {rng.randrange(1000, 9999)}")
    except DomainError:
        return                                    # no closed cases yet (a very small demo)
    sheet = service.round_sheet(rnd)
    items = list(sheet.items().values())
    scored_on = ctx.today - timedelta(days=20)
    files = session.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id)).scalars().all()
    for f in files:
        deductions = {}
        for it in rng.sample(items, rng.randrange(0, 5)):
            deductions[it.code] = min(it.points, rng.choice([1, 1, 2, 3]))
        vetoes = [rng.choice(sheet.veto).code] if rng.random() < 0.03 else []
        service.score_file(session, ctx.actor, f.id, deductions=deductions, vetoes=vetoes, on=scored_on)
        if (deductions or vetoes) and rng.random() < 0.08:
            service.appeal(session, ctx.actor, f.id, "被评查单位补充提供了卷内遗漏的送达回证和笔录签名页",
                           on=scored_on + timedelta(days=3))
            second = Actor(username=f.second_reviewer, roles=frozenset({"reviewer"}), agency_path="/")
            kept = dict(list(deductions.items())[: len(deductions) // 2])
            service.decide_appeal(session, second, f.id, deductions=kept, vetoes=[], on=scored_on + timedelta(days=8))
    service.publish(session, ctx.actor, rnd, on=ctx.today - timedelta(days=5))
