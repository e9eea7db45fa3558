"""Demo stages of the enterprise portal, run in order by ``generate`` (another part of the portal
adds its stage to ``STAGES``). Warnings: a sample of the off-site leads screened and reminded over
the last days, most answered (some late, some admitted with a rectification date), most answers
accepted, a few escalated to an inspection, some left unanswered past the deadline. Self-checks:
a sample of firms check the previous and the current period with a photo, some with findings
(rectification items, a share reported and closed, the overdue ones escalated); case orders
enter the firms' rectification lists. Then (``demo_enterprise``): electronic service of decided
cases, 信用修复 applications and reviews, 正面清单 applications, proposals and removals, study."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..core.auth import Actor
from ..core.errors import DomainError
from ..core.timeutil import TZ
from ..offsite import service as offsite
from ..registry.models import Enterprise, Officer
from . import demo_enterprise, rectify, selfcheck, uploads, warnings


def png(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (90, 140, 90)) -> bytes:
    """A small, valid PNG of one colour (a stand-in for a site photo)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def firm_actor(e: Enterprise) -> Actor:
    return Actor(username=f"ent-{e.uscc}", roles=frozenset({"enterprise", "enterprise_admin"}), enterprise_id=e.id,
                 display_name=e.name)


def _officers(session, agency_id: int) -> list[int]:
    return list(session.execute(select(Officer.id).where(Officer.agency_id == agency_id, Officer.cert_no.is_not(None),
                                                         Officer.active.is_(True)).order_by(Officer.id)
                                .limit(2)).scalars())


EXPLANATIONS = ["当日为在线监测设备季度校准，附运维单位校准记录", "锅炉启炉阶段，已在系统中标记启停，附工况记录",
                "采样管路堵塞导致数据异常，已更换并附维修单", "脱硫剂补给不及时，已补充并恢复正常排放"]
ADMISSIONS = ["除尘布袋破损，承认超标，已停炉更换", "废水处理加药泵故障，已维修并加强巡检"]


def warnings_stage(session, ctx) -> None:
    rng = ctx.rng("portal.warnings")
    leads = [x for x in offsite.list_leads(session, ctx.actor, status="new", limit=2000) if x.enterprise_id]
    sample = rng.sample(leads, min(len(leads), 40))
    bar = ctx.task("企业端：预警提醒与答复", len(sample))
    now_ = datetime.combine(ctx.today, time(10), TZ)
    photo = uploads.Upload("现场照片.png", png())
    for lead in sample:
        bar.advance()
        try:
            offsite.act(session, ctx.actor, lead.id, "confirm", reason="数据异常，确认")
            roll = rng.random()
            late = 0.15 <= roll < 0.4
            # a late answer needs a warning old enough for its deadline (48 h at most) to have passed
            sent = now_ - timedelta(hours=rng.randrange(62, 90) if late else rng.randrange(6, 70))
            w = warnings.remind(session, ctx.actor, lead.id, note="请核实并说明", at=sent)
            if roll < 0.15:
                continue                                  # not answered (overdue unless still within its hours)
            answered = w.due_at + timedelta(hours=rng.randrange(1, 12)) if late else \
                sent + timedelta(minutes=rng.randrange(20, max(21, w.hours * 60 - 10)))
            answered = min(answered, now_)
            firm = firm_actor(w.enterprise)
            if rng.random() < 0.3:
                warnings.answer(session, firm, w.id, kind="admit", text=rng.choice(ADMISSIONS), files=[photo],
                                rectify_by=answered.date() + timedelta(days=rng.randrange(5, 30)), at=answered)
            else:
                warnings.answer(session, firm, w.id, kind="explain", text=rng.choice(EXPLANATIONS), files=[photo],
                                at=answered)
            decided = min(now_, answered + timedelta(hours=rng.randrange(1, 20)))
            r = rng.random()
            if r < 0.6:
                warnings.decide(session, ctx.actor, w.id, decision="accept", note="说明成立", at=decided)
            elif r < 0.75 and len(offs := _officers(session, w.agency_id)) >= 2:
                warnings.decide(session, ctx.actor, w.id, decision="escalate", note="说明与数据不符，现场核查",
                                officer_ids=offs, at=decided)
        except DomainError:
            continue


FINDING_NOTES = ["台账记录不全，缺少上月记录", "标识标牌缺失", "应急预案未按期修订", "设施运行记录不完整"]


def selfchecks_stage(session, ctx) -> None:
    rng = ctx.rng("portal.selfchecks")
    ents = list(session.execute(select(Enterprise).order_by(Enterprise.id)).scalars())
    sample = rng.sample(ents, min(len(ents), 150))
    # a few firms with exceedance leads report "no problem" this period: the cross-check turns
    # each such self-check into a lead of its own
    claim_clean = {x.enterprise_id for x in offsite.list_leads(session, ctx.actor, detector="exceedance", limit=500)
                   if x.enterprise_id and x.verdict != "dismissed"}
    claim_clean = set(sorted(claim_clean)[:4])
    sample = [e for e in sample if e.id not in claim_clean] + [e for e in ents if e.id in claim_clean]
    bar = ctx.task("企业端：自查与整改", len(sample))
    now_ = datetime.combine(ctx.today, time(9), TZ)
    photo = uploads.Upload("自查照片.png", png(rgb=(120, 120, 160)))
    for e in sample:
        bar.advance()
        firm = firm_actor(e)
        items = selfcheck.checklist(e).items
        start, _, _ = selfcheck.period(e, ctx.today)
        days = [start - timedelta(days=1), ctx.today] if rng.random() < 0.5 else [ctx.today]
        for day in days:
            at = min(now_, datetime.combine(day, time(15), TZ))
            bad = rng.sample(items, 1) if rng.random() < 0.35 and e.id not in claim_clean else []
            try:
                sc = selfcheck.submit(session, firm, results={i.code: "problem" if i in bad else "ok" for i in items},
                                      notes={i.code: rng.choice(FINDING_NOTES) for i in bad}, note="",
                                      files=[photo], at=at)
            except DomainError:
                continue
            for item in list(rectify.iter_items(session, firm, status="open")):   # the firm's open items (no page count)
                if item.source_ref.startswith(f"selfcheck:{sc.id}:") and rng.random() < 0.6:
                    rep = min(now_, at + timedelta(days=rng.randrange(3, 40)))
                    rectify.report(session, firm, item.id, "已整改完毕，附整改后照片", [photo], at=rep)
                    if rng.random() < 0.7:
                        rectify.verify(session, ctx.actor, item.id, close=True, note="核查属实，同意销号",
                                       at=min(now_, rep + timedelta(days=2)))


def orders_stage(session, ctx) -> None:
    rectify.sync_orders(session, ctx.actor)
    rectify.escalate(session, ctx.actor, ctx.today)


#: run in this order; each takes (session, ctx)
STAGES = [warnings_stage, selfchecks_stage, orders_stage, *demo_enterprise.STAGES]


def generate(session, ctx) -> None:
    for stage in STAGES:
        stage(session, ctx)
