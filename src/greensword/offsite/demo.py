"""Demo stage: three days of monitoring data for a sample of the province's gas and water points —
a realistic mix of intervals (1/5/10-minute data, with or without the device's hourly and daily
values, and hourly-only points), power meters on their own MNs where the registry links them,
legitimate look-alike events, injected violations of every detector's kind and a label file next
to the lake — screened day by day into leads, so the lead list and the dashboard have content."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from ..registry.models import MonitoringPoint
from ..settings import get_settings
from . import adversary, service
from .engine import screen


def generate(session, ctx) -> None:
    s = get_settings()
    limits = service.limits_from_registry(session)
    pts = session.execute(select(MonitoringPoint.mn, MonitoringPoint.kind, MonitoringPoint.ref_o2_pct)
                          .where(MonitoringPoint.kind.in_(("gas", "water"))).order_by(MonitoringPoint.mn)).all()
    rng = ctx.rng("offsite")
    sample = sorted(rng.sample(pts, min(len(pts), 60)))
    specs = [(mn, kind, {f: lim for f, (lim, _) in limits.table.get(mn, {}).items() if lim},
              ref if kind == "gas" else None) for mn, kind, ref in sample]
    specs = [x for x in specs if x[2]]
    if len(specs) < 4:
        return
    days = 3
    first = ctx.today - timedelta(days=days)
    per_kind = 1 if len(specs) < 30 else 3
    bar = ctx.task("在线监测数据与非现场线索", days + 1)
    nprng = np.random.default_rng(ctx.seed)
    adversary.generate(s.lake_path, points=len(specs), days=days, start=first, seed=ctx.seed,
                       counts={k: per_kind for k in adversary.KINDS},
                       specs=adversary.specs_for(specs, nprng, links=limits.links),
                       label_file=s.lake_path / f"labels-demo-{ctx.seed}.jsonl")
    bar.advance()
    state: dict = {}
    d0 = datetime.combine(first, datetime.min.time())
    for i in range(days):
        found = screen(s.lake_path, limits, d0 + timedelta(days=i), d0 + timedelta(days=i + 1),
                       context=timedelta(hours=24), state=state)
        service.ingest(session, ctx.actor, found, str(s.lake_path))
        bar.advance()
