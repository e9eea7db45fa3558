"""Demo stage: a year of penalty cases in every state — opened from the on-site records'
violations and from off-site leads and complaints — moved through the procedure with the real
services (so every step is checked, timed and audited). Cases decided more than 90 days before
the demo's today are tagged 历史导入 and carry no .docx (as cases migrated from an old system
would); recent ones have their full document sets."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..complaint import service as complaints
from ..offsite import service as offsite
from ..registry.models import Officer
from . import discretion, service


def generate(session, ctx) -> None:
    from ..inspection import queries as inspection_queries

    rng = ctx.rng("cases")
    today = ctx.today
    rules = discretion.rules()
    referrals = inspection_queries.pending_referral_ids(session)
    leads = _lead_sources(session, ctx, rng, max(5, len(referrals) // 4))
    bar = ctx.task("行政处罚案件", len(referrals) + len(leads))
    for ref_id in referrals:
        c = service.open_from_referral(session, ctx.actor, ref_id)
        _progress(session, ctx, rng, c, rules, today)
        bar.advance()
    for ent_id, officers, discovered, source, origin in leads:
        ref = f"线索 {origin}" if source == "lead" else f"{service.SOURCES[source]} {discovered:%Y%m%d}"
        c = service.open_case(session, ctx.actor, enterprise_id=ent_id, title="自动监测数据异常线索核查发现违法"
                              if source == "lead" else "群众举报环境违法", facts="", source=source,
                              source_ref=ref, discovered_on=discovered, officer_ids=officers,
                              lead_id=origin if source == "lead" else None)
        if source == "lead":                       # the lead is closed by the case opened on it
            offsite.act(session, ctx.actor, origin, "close", reason=f"已立案查处（{c.number}）")
        elif origin is not None:                   # the complaint learns its case, as a referral's does
            complaints.link_case(session, ctx.actor, origin, c.number)
        title = "自动监测数据报表及异常分析" if source == "lead" else "举报材料及现场照片"
        service.add_evidence_document(session, ctx.actor, c, title,
                                      f"{title}\n{c.number}\n{discovered.isoformat()}\n".encode())
        _progress(session, ctx, rng, c, rules, today)
        bar.advance()
    _summary_cases(session, ctx, ctx.rng("cases.summary"))
    for _, items in sorted(ctx.shared.get("lead_pool", {}).items()):
        for lead_id, _, _ in items:               # confirmed leads no case or check was needed for
            offsite.act(session, ctx.actor, lead_id, "close", reason="企业已整改，复核数据正常，办结")


def _summary_cases(session, ctx, rng) -> None:
    """A few on-the-spot decisions (简易程序) at key dischargers during the last year: a warning
    or a small fine, reported to the agency."""
    from ..registry.models import Enterprise

    officer = _people()["officer"]
    ents = session.execute(select(Enterprise.id, Enterprise.agency_id).where(Enterprise.key_polluter != "")
                           .order_by(Enterprise.id)).all()
    sources = []
    for ent_id, agency_id in rng.sample(ents, min(3, len(ents))):
        offs = session.execute(select(Officer.id).where(
            Officer.agency_id == agency_id, Officer.cert_no.is_not(None), Officer.cert_no != "",
            Officer.active.is_(True)).order_by(Officer.id)).scalars().all()
        if len(offs) >= 2:
            sources.append((ent_id, rng.sample(list(offs), 2), ctx.today - timedelta(days=rng.randrange(3, 360))))
    for ent_id, officers, discovered in sources:
        on = discovered + timedelta(days=1)
        c = service.summary_decision(session, officer, enterprise_id=ent_id, facts="危险废物贮存场所未按规定设置识别标志",
                                     basis="《中华人民共和国固体废物污染环境防治法》第一百一十二条", place="企业危废贮存间",
                                     fine=rng.choice([0, 1_000, 2_000, 3_000]), on=on, officer_ids=officers)
        if on + timedelta(days=2) <= ctx.today:
            service.report_summary(session, officer, c, on + timedelta(days=rng.choice([1, 2, 5])))


def _lead_sources(session, ctx, rng, n):
    """Cases opened straight from a source (no on-site record of ours): (enterprise, officers,
    discovered, source, origin) — an off-site lead confirmed earlier (origin: the lead, taken from
    the offsite stage's pool; the case is discovered a few days after the lead was raised) or a
    substantiated complaint (origin: the complaint, when it named a registered firm)."""
    pool = sorted((lead_id, ent_id, agency_id, created) for agency_id, items in ctx.shared.get("lead_pool", {}).items()
                  for lead_id, ent_id, created in items)
    substantiated = complaints.firms_of(session, ctx.shared.get("complaints_substantiated", []))
    out = []
    for _ in range(n):
        source = rng.choice(["lead", "lead", "complaint"])
        if source == "lead" and pool:
            lead_id, ent_id, agency_id, created = pool.pop(rng.randrange(len(pool)))
            ctx.shared["lead_pool"][agency_id].remove((lead_id, ent_id, created))
            origin, discovered = lead_id, created + timedelta(days=rng.randrange(2, 10))
        elif source == "complaint" and substantiated:
            origin, ent_id, agency_id, concluded = substantiated.pop(rng.randrange(len(substantiated)))
            discovered = concluded
        else:
            continue
        if discovered > ctx.today - timedelta(days=1):
            continue
        offs = session.execute(select(Officer.id).where(
            Officer.agency_id == agency_id, Officer.cert_no.is_not(None), Officer.cert_no != "",
            Officer.active.is_(True)).order_by(Officer.id)).scalars().all()
        if len(offs) < 2:
            continue
        out.append((ent_id, rng.sample(list(offs), 2), discovered, source, origin))
    return out


def _people():
    """Separate people for separate jobs (查处分离): the demo's admin opens cases, an officer
    investigates, a reviewer reviews and chairs hearings, a legally qualified reviewer does the
    法制审核, a leader files and decides."""
    from ..core.auth import Actor

    return {r: Actor(username=f"demo-{r}", roles=frozenset({role}), agency_path="/")
            for r, role in (("officer", "officer"), ("leader", "leader"), ("reviewer", "reviewer"),
                            ("legal", "reviewer"))}


WHO = {"file": "leader", "withdraw": "leader", "suspend": "leader", "discuss": "leader", "decide": "leader",
       "decide_non_penalty": "leader", "close": "leader", "approve_review": "reviewer", "notice_hearing": "reviewer",
       "hold_hearing": "reviewer", "legal_review": "legal"}


def _progress(session, ctx, rng, c, rules, today: date) -> None:
    """Move the case as far as its age allows, with the procedure's usual spacing."""
    people = _people()
    a = people["officer"]
    v = rng.choice(rules.violations)
    c.violation_code = v.code
    if not c.facts:
        c.facts = f"经查，当事人存在{v.name}的行为。"
    if rng.random() < 0.25:
        c.tags = [rng.choice(service.SPECIAL_ACTIONS)]
    start = c.discovered_on
    age = (today - start).days
    docs = age < 90
    if not docs:
        c.tags = [*c.tags, "历史导入"]

    def step(action, offset, **data):
        on = start + timedelta(days=offset)
        if on > today:
            return False
        service.act(session, people[WHO.get(action, "officer")], c.id, action, on=on, data=data, documents_on=docs)
        return True

    if not step("file", 2):
        return
    if rng.random() < 0.03:
        step("withdraw", 6, reason="经调查不属于本机关管辖，已移送有管辖权的机关")
        return
    if not step("investigate", 3):
        return
    if rng.random() < 0.06:
        from .models import Measure  # noqa: F401  (seizure during investigation)

        service.add_measure(session, people["leader"], c, rng.choice(["seizure", "seizure", "restriction", "suspension"]),
                            started_on=start + timedelta(days=3))
    answers = {f.code: rng.choice(list(f.levels)) for f in v.factors}
    first = rng.random() < 0.6
    facts = {"first_offence": first, "minor_harm": first, "corrected_in_time": first}
    service.apply_discretion(session, a, c, answers=answers, facts=facts,
                             modifiers=["lighter"] if rng.random() < 0.1 else None)
    transfer = c.major and c.fine_proposed and c.fine_proposed > 500_000 and rng.random() < 0.15
    if transfer:
        m = service.add_measure(session, people["leader"], c, "criminal_transfer", started_on=start + timedelta(days=5),
                            data={"receiver": f"{c.agency.name.replace('生态环境局', '')}公安分局",
                                  "reason": "涉嫌以逃避监管方式排放污染物"})
    if transfer and start + timedelta(days=9) <= today:
        from datetime import datetime, time

        from ..core.timeutil import TZ

        approved = datetime.combine(start + timedelta(days=6), time(9), tzinfo=TZ)
        service.approve_transfer(session, people["leader"], m, approved=True, at=approved)
        service.send_transfer(session, people["officer"], m, at=approved + timedelta(hours=rng.choice([4, 20, 30])))
        service.record_receipt(session, people["officer"], m, f"公（环）受字〔{start.year}〕{m.id}号",
                               start + timedelta(days=7))
        service.record_police_decision(session, people["officer"], m, decision=rng.choice(["filed", "filed", "not_filed"]),
                                       on=start + timedelta(days=9))
    if not step("submit_review", 15) or not step("approve_review", 18) or not step("notify", 20):
        return
    if rng.random() < 0.02:
        step("suspend", 21, reason="等待第三方检测报告", document="中止调查审批表")
        return
    offset = 27
    if c.major:
        if rng.random() < 0.3 and step("request_hearing", 22):
            from .deadlines import period_end

            hd = period_end("hearing_notice", start + timedelta(days=23))
            if not step("notice_hearing", 23, hearing_date=hd.isoformat()):
                return
            offset = (hd - start).days
            if not step("hold_hearing", offset, record="当事人对违法事实无异议，请求从轻处罚。"):
                return
            offset += 1
        if not step("legal_review", offset, qualification="A20203301000123", opinion="approve",
                    hearing_waived=True, defence_received=True):
            return
        offset += 1
        if not step("discuss", offset, participants=["局长", "副局长", "法规科科长"],
                    conclusion="同意按拟处罚意见作出决定"):
            return
        offset += 1
    if c.discretion.get("non_penalty_text") and rng.random() < 0.8:
        if not step("decide_non_penalty", offset, hearing_waived=True, defence_received=True):
            return
    else:
        use = rng.random() < 0.1
        if use:
            service.earn_points(session, a, c.enterprise_id, rng.choice([50, 100, 200, 400]), "演示：完成线上学法课程")
        if not step("decide", offset, fine=c.fine_proposed, use_points=use, hearing_waived=True, defence_received=True):
            return
    if not step("serve", offset + 2):
        return
    if c.outcome == "penalty" and rng.random() < 0.95 and start + timedelta(days=offset + 3) <= today:
        service.mark_published(session, people["officer"], c, start + timedelta(days=offset + rng.choice([3, 5, 10])))
    if c.outcome == "penalty":
        if rng.random() < 0.06:
            return                                   # unpaid: surcharge accrues, shows as overdue
        if not step("record_payment", offset + 12, amount=(c.fine or 0) - c.offset_yuan):
            return
    if not step("close", offset + 14):
        return
    appealed = rng.random() < 0.04 and step("record_appeal", offset + 20, kind="reconsideration")
    step("archive", offset + 30)
    if appealed:
        step("record_appeal", offset + 60, kind="reconsideration", outcome=rng.choice(["upheld", "upheld", "changed"]))
