"""Demo stages for electronic service, credit repair, the positive list and study (added to the
portal's demo ``STAGES``). Deterministic from ``ctx.rng``; every step through the services, so
each is checked and audited; dates never after ``ctx.today``."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..cases import service as cases
from ..core.auth import Actor
from ..core.errors import DomainError
from ..core.timeutil import TZ
from ..registry.models import Agency, Enterprise
from . import credit, delivery, positive, rectify, study, uploads

PDF = b"%PDF-1.4\n% demo receipt\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _firm(e: Enterprise) -> Actor:
    return Actor(username=f"ent-{e.uscc}", roles=frozenset({"enterprise", "enterprise_admin"}), enterprise_id=e.id,
                 display_name=e.name)


def _unit(a: Agency) -> Actor:
    return Actor(username=f"demo-leader-{a.division_code}", roles=frozenset({"leader", "officer"}), agency_id=a.id,
                 agency_path=a.path)


def delivery_stage(session, ctx) -> None:
    """Firms with decided cases sign the 送达地址确认书; most decisions are served in the portal,
    opened (the service date) and confirmed within days; the rest keep the usual methods."""
    rng = ctx.rng("portal.delivery")
    firms = {}
    for c in cases.list_cases(session, ctx.actor, stage="decided", limit=5000):
        firms.setdefault(c.enterprise_id, []).append(c)
    for eid, found in sorted(firms.items()):
        if rng.random() < 0.25:
            continue                                   # no consent: the usual methods stay
        e = session.get(Enterprise, eid)
        first = min(c.decided_on for c in found)
        try:
            delivery.give_consent(session, _firm(e), signer_name=f"{e.name[:2]}法定代表人", signer_role="法定代表人",
                                  documents=list(delivery.rules().consent.documents), on=first)
        except DomainError:
            continue
        for c in found:
            sent_on = c.decided_on + timedelta(days=rng.choice([0, 1, 2]))
            if sent_on > ctx.today:
                continue
            try:
                d = delivery.send(session, _unit(c.agency), c.id, on=sent_on)
            except DomainError:
                continue
            opened = sent_on + timedelta(days=rng.choice([0, 1, 1, 2, 3, 9]))
            if opened > ctx.today:
                continue
            principal = next(x for x in d.documents if x["kind"] in ("decision", "non_penalty"))
            delivery.open_document(session, _firm(e), d.id, principal["id"], on=opened)
            if rng.random() < 0.85:
                delivery.confirm(session, _firm(e), d.id)


def credit_stage(session, ctx) -> None:
    """Punished firms whose case is closed report their correction orders done (verified), then a
    share apply for 信用修复 after the minimum period; three in four are approved, the others
    refused, those applied in the last days still under review."""
    rng = ctx.rng("portal.credit")
    closed = [c for st in ("closed", "archived") for c in cases.list_cases(session, ctx.actor, stage=st, limit=5000)
              if c.outcome == "penalty"]
    decisions = 0
    rectify.sync_orders(session, ctx.actor, sorted({c.enterprise_id for c in closed}))   # one call for all firms
    for i, c in enumerate(sorted(closed, key=lambda x: x.id)):
        if i % 5 == 4:
            continue                                   # not every punished firm asks for repair
        e = session.get(Enterprise, c.enterprise_id)
        firm, unit = _firm(e), _unit(c.agency)
        for item in list(rectify.iter_items(session, firm, status="open")):   # the firm's open items (no page count)
            if item.source_ref.startswith(f"case:{c.id}:"):
                try:
                    rectify.report(session, firm, item.id, "已按责令改正决定书完成整改", [uploads.Upload("整改后.pdf", PDF)])
                    rectify.verify(session, unit, item.id, close=True, note="现场核查，整改到位")
                except DomainError:
                    continue
        [entry] = [x for x in credit.record(session, firm, today=ctx.today) if x.penalty.id == c.id] or [None]
        if entry is None or entry.min_end > ctx.today:
            continue
        applied = max(entry.min_end, c.closed_on or entry.min_end) + timedelta(days=rng.choice([0, 3, 10, 30]))
        if applied > ctx.today:
            continue
        try:
            r = credit.apply(session, firm, c.id, explanation="罚款已缴清，违法行为已改正并经核查销号，现申请信用修复",
                             commitment=True, uploads=[uploads.Upload("缴款凭证.pdf", PDF)], on=applied)
        except DomainError:
            continue
        reviewed = applied + timedelta(days=rng.choice([2, 5, 8, 16]))
        if reviewed > ctx.today:
            continue
        ok = decisions % 4 != 3                        # every fourth application refused
        decisions += 1
        credit.review(session, unit, r.id, approve=ok, on=reviewed,
                      reason="已履行处罚决定并完成整改，予以修复" if ok else "整改佐证材料不足，请补充后重新申请")


def positive_stage(session, ctx) -> None:
    """The removal rules applied (penalised firms leave the list, confirmed leads go to review),
    then some eligible firms apply or are proposed, most approved."""
    rng = ctx.rng("portal.positive")
    counties = list(session.execute(select(Agency).where(Agency.level == "county").order_by(Agency.id)).scalars())
    for a in counties:
        unit = _unit(a)
        positive.sweep(session, unit, on=ctx.today)
        for x in positive.listings(session, unit, status="review"):
            if rng.random() < 0.5:
                positive.keep(session, unit, x.id, reason="经核查系设备故障，已整改并说明情况")
            else:
                positive.remove(session, unit, x.id, reason="非现场线索经核实存在超标排放", trigger=x.review_trigger)
        candidates = list(session.execute(select(Enterprise).where(
            Enterprise.agency_id == a.id, Enterprise.positive_list.is_(False),
            Enterprise.credit_class.in_(positive.rules().criteria.credit_classes)).order_by(Enterprise.id)
            .limit(40)).scalars())
        for e in rng.sample(candidates, min(len(candidates), 2)):
            on = ctx.today - timedelta(days=rng.choice([5, 20, 40]))
            try:
                if rng.random() < 0.6:
                    x = positive.apply(session, _firm(e), statement="污染物排放稳定达标，环境管理制度健全", on=on)
                else:
                    x = positive.propose(session, unit, e.id, statement="日常检查未发现问题，推荐纳入", on=on)
            except DomainError:
                continue
            if rng.random() < 0.8:
                met = all(c["ok"] for c in x.criteria)
                positive.decide(session, unit, x.id, approve=met, on=on + timedelta(days=3),
                                reason="符合纳入条件" if met else "不符合纳入条件")


def study_stage(session, ctx) -> None:
    """A sample of firms study: a few rounds each, mostly right."""
    rng = ctx.rng("portal.study")
    firms = list(session.execute(select(Enterprise).order_by(Enterprise.id).limit(400)).scalars())
    for e in rng.sample(firms, min(len(firms), 25)):
        firm = _firm(e)
        for k in range(rng.choice([1, 2, 3])):
            day = ctx.today - timedelta(days=rng.randrange(0, 60))
            qs = study.draw(session, firm, on=day, round_no=k)
            answers = {q.id: (q.answer if rng.random() < 0.8 else next(x for x, _ in q.options if x != q.answer))
                       for q in qs}
            study.submit(session, firm, answers, at=datetime.combine(day, time(9, 30), TZ))


STAGES = [delivery_stage, credit_stage, positive_stage, study_stage]
