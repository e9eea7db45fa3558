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

#: what a reviewer typically writes when deducting an item (demo text; item codes from rules/review/sheet.yaml)
REASONS = {
    "filing_time": ["立案审批表晚于受理之日起 7 个工作日", "立案审批表缺负责人签批日期"],
    "party": ["当事人统一社会信用代码与营业执照不一致", "当事人名称使用简称"],
    "two_officers": ["询问笔录仅一名执法人员签名", "未记录出示执法证件"],
    "record": ["现场检查笔录缺当事人签名页", "笔录未记载检查起止时间"],
    "evidence_chain": ["缺监测报告原件，仅有复印件且未注明出处", "照片未标注拍摄时间、地点和拍摄人"],
    "articles": ["处罚依据未引用到款、项", "违法条款与事实认定不对应"],
    "discretion": ["未附裁量基准计算过程", "裁量理由未说明从轻情节的依据"],
    "notice_rights": ["告知书未写明陈述申辩期限", "送达回证缺签收日期"],
    "review": ["法制审核意见书无审核人签名"],
}
GENERIC = ["卷内材料缺失，未能证明该环节合法完成", "文书格式不规范，要素不全"]


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
        deductions, reasons = {}, {}
        for it in rng.sample(items, rng.randrange(0, 5)):
            deductions[it.code] = min(it.points, rng.choice([1, 1, 2, 3]))
            reasons[it.code] = rng.choice(REASONS.get(it.code, GENERIC))
        vetoes = [rng.choice(sheet.veto).code] if rng.random() < 0.03 else []
        service.score_file(session, ctx.actor, f.id, deductions=deductions, vetoes=vetoes, reasons=reasons,
                           comment="卷面整体规范，扣分项见评分表" if deductions else "卷面规范", on=scored_on)
        if (deductions or vetoes) and rng.random() < 0.08:
            service.appeal(session, ctx.actor, f.id, "被评查单位补充提供了卷内遗漏的送达回证和笔录签名页",
                           on=scored_on + timedelta(days=3))
            second = Actor(username=f.second_reviewer, roles=frozenset({"reviewer"}), agency_path="/")
            kept = dict(list(deductions.items())[: len(deductions) // 2])
            service.decide_appeal(session, second, f.id, deductions=kept, vetoes=[],
                                  reasons={k: f"复核维持：{reasons[k]}" for k in kept}, on=scored_on + timedelta(days=8))
    service.publish(session, ctx.actor, rnd, on=ctx.today - timedelta(days=5))
