"""Demo stage: the province's annual 执法稽查 — units selected by metrics plus a random pick, a
team from the province, case files scored with the review sheet, records and re-checks, graded
findings, feedback letters, rectification reports, 回头看 closing most recommendations (some sent
back, a few left overdue and escalated)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..core.errors import DomainError
from ..core.models import User
from ..registry.models import Agency
from . import service

FINDINGS = [
    ("案件办理", "improvement", "部分案卷调查询问笔录缺少当事人签名，证据链不完整", "完善调查取证规范，逐卷补正并开展专题培训"),
    ("期限管理", "attention", "个别案件超过法定期限作出处罚决定", "建立案件期限预警台账，每月通报"),
    ("双随机检查", "attention", "抽查覆盖率低于年度要求", "调整抽查比例，确保年度覆盖率达标"),
    ("检查记录", "meets", "现场检查记录完整、及时上传", ""),
    ("信访办理", "improvement", "举报答复超期且未告知延期理由", "严格执行信访工作条例办理时限，落实延期告知"),
]


def generate(session, ctx) -> None:
    rng = ctx.rng("oversight")
    a, today = ctx.actor, ctx.today
    province = session.execute(select(Agency).where(Agency.level == "province")).scalars().first()
    if province is None:
        return
    team = list(session.execute(select(User.username).where(User.agency_id == province.id)
                                .order_by(User.username)).scalars())[:3]
    if len(team) < 2:
        return
    p = service.create_plan(session, a, agency_id=province.id, year=today.year, name=f"{today.year}年度全省执法稽查",
                            seed=f"{today.isoformat()} 稽查摇号 {rng.randrange(1000, 9999)}")
    try:
        units = service.select_units(session, a, p.id, on=today)
    except DomainError:
        return
    bar = ctx.task("执法稽查", len(units))
    sheet_items = list(service.review.sheet(today).items().values())
    for u in units:
        bar.advance()
        service.assign_team(session, a, u.id, team)
        try:
            files = service.pull_files(session, a, u.id)
        except DomainError:
            continue
        fieldwork = today - timedelta(days=rng.randrange(60, 150))
        for f in files:
            if f.kind == "case":
                ded = {it.code: min(it.points, rng.choice([1, 2, 3])) for it in rng.sample(sheet_items, rng.randrange(0, 4))}
                service.check_file(session, a, f.id, deductions=ded, note="", on=fieldwork)
            else:
                service.check_file(session, a, f.id, result="inconsistent" if rng.random() < 0.15 else "consistent",
                                   note="", on=fieldwork)
        for area, grade, text, rec in rng.sample(FINDINGS, rng.randrange(2, 5)):
            service.add_finding(session, a, u.id, area=area, grade=grade, text=text, recommendation=rec,
                                due=fieldwork + timedelta(days=rng.choice([30, 60, 90])))
        service.send_feedback(session, a, u.id, on=fieldwork + timedelta(days=7))
        for x in service.findings_of(session, u):
            if x.status != "open" or rng.random() < 0.15:
                continue                                         # a few never answered: overdue, escalated
            service.submit_plan(session, a, x.id, "成立整改专班，明确责任人和完成时限")
            if rng.random() < 0.15:
                continue
            done = x.due - timedelta(days=rng.randrange(1, 20))
            service.report(session, a, x.id, "已逐项整改完毕，附整改佐证材料", on=min(done, today))
            fu = min(x.due + timedelta(days=rng.randrange(0, 15)), today)
            service.follow_up(session, a, x.id, verified=rng.random() < 0.85, note="回头看现场核实", on=fu,
                              new_due=fu + timedelta(days=30))
    service.escalate(session, a, on=today)
    session.flush()
