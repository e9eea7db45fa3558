"""Demo stage: every transfer the cases stage recorded is followed: most accepted by the police
within 3 days, some refused with a reconsideration requested in time (and a few later accepted),
persons detained or under criminal measures, a few joint supervisions, prosecutions and judgments;
plus transfers to market regulation for third-party fraud."""

from __future__ import annotations

from datetime import date, timedelta

from ..core.errors import DomainError
from . import service

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"


def _clip(d: date, today: date) -> date | None:
    return d if d <= today else None


def generate(session, ctx) -> None:
    rng = ctx.rng("transfer")
    a, today = ctx.actor, ctx.today
    pending = service.untracked(session, a, limit=10_000)
    bar = ctx.task("行刑衔接跟踪", len(pending))
    for u in pending:
        bar.advance()
        t = service.open_followup(session, a, case_id=u["case_id"], measure_id=u["measure_id"])
        day = _clip(t.sent_on + timedelta(days=rng.randrange(0, 2)), today)
        if day is None:
            continue
        service.receipt(session, a, t.id, on=day)
        refused = rng.random() < 0.2
        day = _clip(day + timedelta(days=rng.randrange(1, 5)), today)
        if day is None:
            continue
        service.decide(session, a, t.id, accepted=not refused, on=day,
                       reason="认为没有犯罪事实，或者犯罪事实显著轻微，不需要追究刑事责任" if refused else "")
        if refused:
            day = _clip(day + timedelta(days=rng.randrange(1, 4)), today)
            if day is None or rng.random() < 0.3:
                continue
            service.request_reconsideration(session, a, t.id, on=day)
            day = _clip(day + timedelta(days=rng.randrange(1, 4)), today)
            if day is None:
                continue
            service.reconsideration_result(session, a, t.id, accepted=rng.random() < 0.6, on=day,
                                           reason="维持不予立案决定")
            if t.status != "accepted":
                continue
        if t.kind == "criminal" and (h := _clip(t.accepted_on + timedelta(days=rng.choice([1, 2, 3, 5])), today)):
            service.handover(session, a, t.id, on=h)
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            name = rng.choice(SURNAMES) + rng.choice("伟强军勇明华建国海林") + rng.choice(["", "华", "军"])
            measure = "admin_detention" if t.kind == "detention" else rng.choice(["criminal_detention", "bail", "arrest"])
            service.add_person(session, a, t.id, name=name, role=rng.choice(service.PERSON_ROLES), measure=measure,
                               measure_on=t.accepted_on, days=rng.randrange(5, 16) if measure == "admin_detention"
                               else None)
        if rng.random() < 0.15:
            service.joint_supervise(session, a, t.id, by="省生态环境厅、省公安厅、省人民检察院", on=t.accepted_on)
            service.meeting(session, a, t.id, on=t.accepted_on, note="三部门联席会商，明确证据固定和鉴定要求")
        end = _clip(t.accepted_on + timedelta(days=rng.randrange(15, 200)), today)
        if end is not None and rng.random() < 0.6:
            outcome = "detained" if t.kind == "detention" else rng.choice(["prosecuted", "convicted", "not_prosecuted"])
            service.close(session, a, t.id, outcome=outcome, on=end)
    # transfers to other departments (e.g. 第三方环保服务机构弄虚作假 → 市场监管)
    from ..cases import service as cases

    for c in [c for c in cases.list_cases(session, a, limit=400) if c.filed_on][: rng.randrange(2, 6)]:
        try:
            t = service.open_followup(session, a, case_id=c.id, kind="department", receiver="市场监督管理局",
                                      approved_on=c.filed_on, sent_on=c.filed_on)
        except DomainError:
            continue
        if (on := _clip(c.filed_on + timedelta(days=2), today)) is not None:
            service.receipt(session, a, t.id, on=on)
            service.decide(session, a, t.id, accepted=True, on=on)
    session.flush()
