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
    pts = session.execute(select(MonitoringPoint.mn, MonitoringPoint.kind, MonitoringPoint.ref_o2_pct)
                          .where(MonitoringPoint.kind.in_(("gas", "water"))).order_by(MonitoringPoint.mn)).all()
    rng = ctx.rng("offsite")
    sample = sorted(rng.sample(pts, min(len(pts), 60)))
    _link_meters(session, ctx, [mn for mn, kind, _ in sample if kind == "gas"])
    limits = service.limits_from_registry(session)
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
        found = screen(s.lake_path, limits, d0 + timedelta(days=i), d0 + timedelta(days=i + 1), state=state)
        service.ingest(session, ctx.actor, found, str(s.lake_path))
        bar.advance()


def _link_meters(session, ctx, mns: list[str]) -> None:
    """Link each sampled gas outlet to its enterprise's power-monitoring point (production line
    e10001, treatment facility e10002), as an officer would in the registry console."""
    from ..registry import service as registry

    for mn in mns:
        point = registry.point_by_mn(session, mn)
        meter = session.execute(select(MonitoringPoint).where(
            MonitoringPoint.enterprise_id == point.enterprise_id, MonitoringPoint.kind == "power")).scalars().first()
        if meter is None or registry.power_links_by_mn(session, [mn]):
            continue
        codes = {f.factor_code for f in meter.factors}
        for factor, role in (("e10001", "production"), ("e10002", "treatment")):
            if factor in codes:
                registry.link_power_meter(session, ctx.actor, point.id, meter.mn, factor, role)
