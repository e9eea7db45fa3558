"""Demo stage: a year of public complaints per county (web form, 12369 hotline, WeChat, letters),
most accepted and handled on time, some rejected or forwarded, a few duplicates, late replies and
open ones; replies rated, a few verified reports rewarded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..core.models import User
from ..registry.models import Agency, Enterprise
from . import service

TEXTS = {"water": "夜间有黄色污水从厂区后门的暗管排入河道，河水发臭", "air": "工厂烟囱晚上冒黑烟，附近居民闻到刺鼻气味",
         "noise": "车间夜间十点以后仍在生产，噪声很大影响休息", "solid": "厂区外空地堆放大量废料桶，下雨后有液体流出",
         "other": "企业疑似未批先建，新厂房已开始试生产"}


def generate(session, ctx) -> None:
    rng = ctx.rng("complaint")
    counties = list(session.execute(select(Agency).where(Agency.level == "county").order_by(Agency.division_code))
                    .scalars())
    bar = ctx.task("信访投诉", len(counties))
    handled: list[int] = []
    for county in counties:
        ents = session.execute(select(Enterprise).where(Enterprise.agency_id == county.id)
                               .order_by(Enterprise.id)).scalars().all()
        handler = session.execute(select(User.username).where(User.agency_id == county.id,
                                                              User.username == f"officer-{county.division_code}")
                                  ).scalar_one_or_none()
        if not ents or handler is None:
            bar.advance()
            continue
        for _ in range(round(rng.randrange(4, 12) * ctx.span_days / 365)):     # 4–11 a year
            e = rng.choice(ents)
            matter = rng.choice(list(TEXTS))
            day = ctx.today - timedelta(days=rng.randrange(5, ctx.span_days))
            anonymous = rng.random() < 0.3
            channel = rng.choice(["web", "hotline", "hotline", "wechat", "letter"])
            c = service.record_call(session, ctx.actor, agency_id=county.id, channel=channel, enterprise_name=e.name,
                                    address=e.address or "", matter=matter, content=TEXTS[matter],
                                    anonymous=anonymous, name="" if anonymous else rng.choice("王李张刘陈") + "先生",
                                    phone="" if anonymous else f"138{rng.randrange(10**7, 10**8)}", received_on=day)
            if (ctx.today - day).days < 8 and rng.random() < 0.5:
                continue                                               # still awaiting a decision
            r = rng.random()
            decided = day + timedelta(days=rng.randrange(1, 12 if r > 0.05 else 25))
            if decided > ctx.today:
                continue
            if r < 0.06:
                service.decide(session, ctx.actor, c.id, decision="reject", reason="举报事项已经依法处理完毕，无新的事实和理由",
                               on=decided)
                continue
            if r < 0.1:
                service.decide(session, ctx.actor, c.id, decision="forward", reason="属住建部门职责，已转送", on=decided)
                continue
            service.decide(session, ctx.actor, c.id, decision="accept", on=decided)
            service.assign(session, ctx.actor, c.id, agency_id=county.id, handlers=[handler], on=decided)
            done = decided + timedelta(days=rng.randrange(5, 70))
            if done >= ctx.today:
                continue
            substantiated = rng.random() < 0.45
            service.conclude(session, ctx.actor, c.id, substantiated=substantiated, on=done,
                             method=rng.choice(["onsite", "onsite", "offsite", "desk"]),
                             findings="现场核查发现举报问题属实，已责令改正并立案调查" if substantiated
                             else "现场核查未发现举报所述问题，企业污染防治设施正常运行")
            reply_on = done + timedelta(days=rng.randrange(0, 4))
            if reply_on > ctx.today:
                continue
            service.reply(session, ctx.actor, c.id, on=reply_on, text=("您举报的问题经核查属实，我局已依法立案查处。"
                          if substantiated else "经现场核查，未发现您反映的问题，我局将加强日常监管。"))
            service.rate(session, c.code, rng.choice(["satisfied", "satisfied", "basic", "unsatisfied"]))
            if substantiated:
                handled.append(c.id)
                if rng.random() < 0.3:
                    service.award(session, ctx.actor, c.id, rng.choice([200, 500, 1000]))
        bar.advance()
    ctx.shared["complaints_substantiated"] = handled
    session.flush()
