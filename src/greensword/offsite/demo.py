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
    _history(session, ctx, limits)


#: leads a year per monitoring point in the history (≈ 0.4 at the province's 1,000 points)
HISTORY_PER_POINT_YEAR = 0.4
#: and at least this many a year (the small demo's few points)
HISTORY_MIN_YEAR = 12
#: what became of a history lead: dismissed on screening, confirmed and answered by the firm, or
#: confirmed and waiting for an on-site check or a case (the inspection and cases stages take them)
HISTORY_OUTCOMES = (("dismissed", 0.45), ("answered", 0.2), ("pool", 0.35))
DISMISS_REASONS = ["经核实为设备校准期间数据，已标记", "企业停产检修，工况记录齐全", "数采仪传输故障，已修复补传"]
ANSWERS = ["企业说明成立：污染治理设施临时检修，已恢复正常", "企业已整改，复核数据正常"]


def _history(session, ctx, limits) -> None:
    """Leads of the demo's history before the screened days (from ``ctx.start``), as the daily
    screening raised them over two years: each created the morning after the event, most dismissed
    or answered, a share confirmed for an on-site check or a case. The confirmed ones go to
    ``ctx.shared["lead_pool"]`` (county id → [(lead id, enterprise id, created date)], oldest
    first), which the inspection and cases stages take from; the monitoring data of these past
    days is not in the demo's lake (the evidence says so)."""
    from sqlalchemy import insert

    from ..core import audit
    from ..core.timeutil import TZ
    from .detectors import LABELS
    from .models import Lead

    rng = ctx.rng("offsite.history")
    r = service.rules().leads.on(ctx.today)
    pts = session.execute(select(MonitoringPoint).where(MonitoringPoint.kind.in_(("gas", "water")))
                          .order_by(MonitoringPoint.mn)).scalars().all()
    pts = [p for p in pts if any(lim for lim, _ in limits.table.get(p.mn, {}).values())]
    end = ctx.today - timedelta(days=5)
    span = (end - ctx.start).days
    if not pts or span <= 0:
        return
    n = round(max(HISTORY_MIN_YEAR, len(pts) * HISTORY_PER_POINT_YEAR) * span / 365)
    detectors = [d for d in ("exceedance", "flatline", "missing_data", "near_limit", "sudden_drop", "flag_abuse")
                 if d in LABELS]
    events = sorted(((ctx.start + timedelta(days=rng.randrange(span)), rng.choice(pts)) for _ in range(n)),
                    key=lambda x: (x[0], x[1].mn))
    rows, fates = [], []
    for day, p in events:
        ent = p.enterprise
        factors = sorted(f for f, (lim, _) in limits.table.get(p.mn, {}).items() if lim)
        detector, factor = rng.choice(detectors), rng.choice(factors)
        start = datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=rng.randrange(24))
        created = datetime.combine(day + timedelta(days=1), datetime.min.time(), TZ) + timedelta(hours=6)
        fate = rng.choices([f for f, _ in HISTORY_OUTCOMES], weights=[w for _, w in HISTORY_OUTCOMES])[0]
        key = bool(ent.key_polluter)
        row = {"mn": p.mn, "enterprise_id": ent.id, "agency_id": ent.agency_id, "factor": factor,
               "detector": detector, "start": start, "end": start + timedelta(hours=rng.randrange(1, 7)),
               "score": round(rng.uniform(0.5, 1.0), 3), "repeats": 0, "task_id": None,
               "evidence": {"explanation": f"{LABELS[detector]}：因子 {factor}（历史线索，原始监测数据未收入演示数据湖）",
                            "rule": {"detector": detector, "thresholds": {}, "label": LABELS[detector],
                                     "source": None}, "rows": [], "query": ""},
               "due_at": created + timedelta(hours=r.response_hours_key if key else r.response_hours),
               "created_at": created, "updated_at": created + timedelta(days=rng.randrange(1, 4))}
        row["rank_score"] = service.rank_score(r, row["score"], 0, key)
        if fate == "dismissed":
            row.update(status="closed", verdict="dismissed", reason=rng.choice(DISMISS_REASONS), outcome="甄别排除")
        elif fate == "answered":
            row.update(status="closed", verdict="confirmed", reason="数据异常，确认", outcome=rng.choice(ANSWERS))
        else:
            row.update(status="screened", verdict="confirmed", reason="数据异常，确认，待现场核查或立案", outcome="")
        rows.append(row)
        fates.append(fate)
    ids = session.execute(insert(Lead).returning(Lead.id, sort_by_parameter_order=True), rows).scalars().all()
    audit.record_many(session, ctx.actor, "offsite.lead.create", [
        ("offsite_lead", i, {"mn": x["mn"], "detector": x["detector"], "start": x["start"].isoformat(),
                             "end": x["end"].isoformat()}) for i, x in zip(ids, rows, strict=True)], note="演示数据（历史线索）")
    pool: dict[int, list[tuple[int, int, object]]] = {}
    for i, x, fate in zip(ids, rows, fates, strict=True):
        if fate == "pool":
            pool.setdefault(x["agency_id"], []).append((i, x["enterprise_id"], x["created_at"].date()))
    ctx.shared["lead_pool"] = pool


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
