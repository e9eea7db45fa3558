"""The law's periods, limits and refusals over the 2026 calendar (National Day with its make-up
Saturday 10-10, Spring Festival 02-15..23 with make-up 02-14/02-28, periods ending on a Sunday)."""

from datetime import date
from types import SimpleNamespace

import pytest

from greensword.cases import deadlines, procedure, service
from greensword.core.auth import Actor
from greensword.core.errors import IllegalTransition, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.db
AIR = {"ratio": "0.5-1倍", "duration": "单次", "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"}


@pytest.mark.parametrize("kind,start,want", [
    # hearing request: 5 working days; 09-30 (Wed) → 10-08, 09, 10 (make-up Sat), 12, 13
    ("hearing_request", date(2026, 9, 30), date(2026, 10, 13)),
    # service 7 working days from Fri 02-13: 02-14 (make-up Sat), 24, 25, 26, 27, 28 (make-up Sat), 03-02
    ("service", date(2026, 2, 13), date(2026, 3, 2)),
    # payment 15 calendar days from 09-20 ends 10-05 (holiday) → 10-08
    ("payment", date(2026, 9, 20), date(2026, 10, 8)),
    # payment ending on a Sunday (11-15) → Monday 11-16
    ("payment", date(2026, 10, 31), date(2026, 11, 16)),
    # 复议 60 days from 08-02 ends 10-01 (holiday) → 10-08
    ("reconsideration", date(2026, 8, 2), date(2026, 10, 8)),
    # 诉讼 six calendar months: 03-31 → 09-30; 08-31 → 02-28-2027 (Sunday) → 03-01
    ("lawsuit", date(2026, 3, 31), date(2026, 9, 30)),
    ("lawsuit", date(2026, 8, 31), date(2027, 3, 1)),
    # 立案: 2010 办法 7 working days vs 令30 15 calendar days — the discovery date picks
    ("filing", date(2023, 6, 30), date(2023, 7, 11)),
    ("filing", date(2023, 7, 1), date(2023, 7, 17)),
    # rectification plan under 限产停产: 15 working days over Spring Festival
    # (02-11, 12, 13, 14 make-up, 24, 25, 26, 27, 28 make-up, 03-02, 03, 04, 05, 06, 09)
    ("rectification_plan", date(2026, 2, 10), date(2026, 3, 9)),
])
def test_periods_at_holiday_edges(kind, start, want):
    assert deadlines.period_end(kind, start) == want


def test_hearing_notice_counts_working_days():
    # notice served Wed 09-30: 7 working days are 10-08, 09, 10, 12, 13, 14, 15 → hearing on 10-15 at the earliest
    assert deadlines.period_end("hearing_notice", date(2026, 9, 30)) == date(2026, 10, 15)


def test_decision_limit_with_several_pause_kinds_and_the_2010_rule():
    P = SimpleNamespace
    case = P(filed_on=date(2026, 3, 3), extensions=[])
    pauses = [P(kind="monitoring", started_on=date(2026, 3, 10), ended_on=date(2026, 3, 20)),     # 10
              P(kind="appraisal", started_on=date(2026, 3, 15), ended_on=date(2026, 3, 25)),      # overlaps: +5
              P(kind="announcement", started_on=date(2026, 4, 1), ended_on=date(2026, 4, 8)),     # 7
              P(kind="hearing", started_on=date(2026, 4, 20), ended_on=date(2026, 4, 30))]        # 10
    # 03-03 + 90 = 06-01, + 32 paused days = 07-03 (Friday)
    assert deadlines.decision_deadline(case, pauses) == date(2026, 7, 3)
    open_pause = [*pauses, P(kind="determination", started_on=date(2026, 5, 1), ended_on=None)]
    assert deadlines.decision_deadline(case, open_pause, date(2026, 5, 11)) == date(2026, 7, 13)
    # a case filed under the 2010 办法 (three months, 评估/认定 not excluded)
    old = P(filed_on=date(2021, 3, 1), extensions=[])
    assert deadlines.decision_deadline(old, [P(kind="assessment", started_on=date(2021, 3, 5),
                                                ended_on=date(2021, 3, 25))]) == date(2021, 6, 1)


def _served(fine=100_000, served=date(2026, 3, 2), **kw):
    return SimpleNamespace(fine=fine, offset_yuan=0, outcome="penalty", served_on=served, decided_on=served,
                           payment_plan=kw.get("plan", {}), appeals=kw.get("appeals", []))


def test_surcharge_stops_on_payment_and_is_not_counted_during_reconsideration():
    P = SimpleNamespace
    c = _served()                                    # due 03-17
    pay = [P(paid_on=date(2026, 3, 27), amount=100_000)]
    # 10 days late (03-18..03-27): 30,000, and nothing after payment
    assert deadlines.surcharge(c, date(2026, 12, 31), pay) == 30_000
    # half paid on 03-20 (3 days at 3,000), the rest on 03-27 (7 days at 1,500)
    half = [P(paid_on=date(2026, 3, 20), amount=50_000), P(paid_on=date(2026, 3, 27), amount=50_000)]
    assert deadlines.surcharge(c, date(2026, 12, 31), half) == 9_000 + 10_500
    # 复议 applied 03-20, decided 04-20: days in between not counted
    c2 = _served(appeals=[{"kind": "reconsideration", "applied_on": "2026-03-20", "decided_on": "2026-04-20"}])
    # 03-18 and 03-19 before it, 04-20..04-22 after it
    assert deadlines.surcharge(c2, date(2026, 4, 22)) == 2 * 3_000 + 3 * 3_000
    # capped at the fine
    assert deadlines.surcharge(_served(), date(2027, 3, 1)) == 100_000
    # deferral to 06-30: nothing is overdue before 07-01
    c3 = _served(plan={"kind": "deferral", "until": "2026-06-30"})
    assert deadlines.surcharge(c3, date(2026, 6, 30)) == 0 and deadlines.surcharge(c3, date(2026, 7, 1)) == 3_000
    # instalments: only the overdue instalment bears the surcharge
    c4 = _served(plan={"kind": "instalments", "instalments": [{"due": "2026-04-30", "amount": 50_000},
                                                              {"due": "2026-05-31", "amount": 50_000}]})
    assert deadlines.surcharge(c4, date(2026, 5, 2), [P(paid_on=date(2026, 4, 30), amount=50_000)]) == 0
    assert deadlines.surcharge(c4, date(2026, 5, 2)) == 2 * 1_500


def test_hearing_scope_at_exactly_200000_and_local_thresholds():
    on = date(2026, 3, 3)
    assert not procedure.fine_in_hearing_scope(200_000, on)
    assert procedure.fine_in_hearing_scope(200_001, on)
    assert procedure.fine_in_hearing_scope(60_000, on, "500101")          # Chongqing: 50,000
    assert "不含本数" in procedure.hearing_scope_text(on)


def test_limitation_refuses_filing_and_five_years_where_recorded(flow, db):
    c = flow.open(discovered=date(2026, 3, 2), offence_ended_on=date(2024, 3, 1))
    with pytest.raises(IllegalTransition, match="时效.*第三十六条"):
        flow.act(c, "file", date(2026, 3, 3))
    assert c.stage == "clue" and c.filed_on is None
    c2 = flow.open(discovered=date(2026, 3, 2), offence_ended_on=date(2024, 3, 2))     # exactly two years
    flow.act(c2, "file", date(2026, 3, 3))
    c3 = flow.open(discovered=date(2026, 3, 2), offence_ended_on=date(2022, 3, 1), limitation_extended=True)
    flow.act(c3, "file", date(2026, 3, 3))


def test_separation_admin_cannot_bypass_and_recusal(flow, db, world):
    from tests.factories import actor

    c = flow.open()
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    service.apply_discretion(db, flow.officer, c, answers=AIR)
    flow.act(c, "submit_review", date(2026, 3, 10), flow.officer)
    both = Actor(username="officer-330102", roles=frozenset({"officer", "reviewer"}), agency_path=flow.officer.agency_path)
    with pytest.raises(IllegalTransition, match="查处分离"):
        service.act(db, both, c.id, "approve_review", on=date(2026, 3, 11))
    admin = actor(db, world, "admin-330102")
    with pytest.raises(IllegalTransition):
        service.act(db, admin, c.id, "approve_review", on=date(2026, 3, 11))
    r = service.apply_recusal(db, flow.officer, c, person="reviewer-330102", reason="与当事人法定代表人系近亲属",
                              on=date(2026, 3, 10))
    with pytest.raises(IllegalTransition, match="回避"):
        flow.act(c, "approve_review", date(2026, 3, 11), flow.reviewer)
    with pytest.raises(ValidationFailed, match="说明理由"):
        service.apply_recusal(db, flow.officer, c, person="x", reason=" ", on=date(2026, 3, 10))
    with pytest.raises(PermissionDenied):
        service.decide_recusal(db, flow.officer, r, granted=False, reason="无", on=date(2026, 3, 11))
    service.decide_recusal(db, flow.leader, r, granted=False, reason="经核实不存在亲属关系", on=date(2026, 3, 11))
    flow.act(c, "approve_review", date(2026, 3, 11), flow.reviewer)


def test_hearing_request_on_the_last_working_day_is_accepted(flow, db):
    c = flow.open()
    flow.to_reviewed(c)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)          # Thu: 5 working days → Thu 03-19
    with pytest.raises(IllegalTransition, match="五个工作日"):
        service.act(db, flow.officer, c.id, "request_hearing", on=date(2026, 3, 20))
    flow.act(c, "request_hearing", date(2026, 3, 19), flow.officer)


def test_request_hearing_refused_below_scope_says_so_consistently(flow, db):
    c = flow.open()
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    service.apply_discretion(db, flow.officer, c, answers=AIR, fine=200_000, departure_reason="从轻")
    flow.act(c, "submit_review", date(2026, 3, 10), flow.officer)
    flow.act(c, "approve_review", date(2026, 3, 11), flow.reviewer)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    with pytest.raises(IllegalTransition, match="超过 200,000 元（不含本数）"):
        flow.act(c, "request_hearing", date(2026, 3, 13), flow.officer)


def test_summary_procedure_amounts(flow, db, world):
    ent = world.enterprises["330102-small"]
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    with pytest.raises(ValidationFailed, match="3,000元以下.*第五十一条"):
        service.summary_decision(db, flow.officer, enterprise_id=ent.id, facts="危废标志缺失", basis="固废法",
                                 fine=3_001, on=date(2026, 3, 3), place="厂区", officer_ids=offs)
    with pytest.raises(ValidationFailed, match="两名以上"):
        service.summary_decision(db, flow.officer, enterprise_id=ent.id, facts="f", basis="b", fine=3_000,
                                 on=date(2026, 3, 3), place="厂区", officer_ids=offs[:1])
    c = service.summary_decision(db, flow.officer, enterprise_id=ent.id, facts="危废标志缺失", basis="固废法",
                                 fine=3_000, on=date(2026, 3, 3), place="厂区", officer_ids=offs)
    assert c.summary and c.stage == "served"
    due = {d.kind: d for d in service.due_list(db, c, date(2026, 3, 3))}
    assert due["summary_filing"].due == date(2026, 3, 6)
    with pytest.raises(IllegalTransition, match="简易程序"):
        flow.act(c, "decide", date(2026, 3, 4))


def test_study_offset_never_below_the_statutory_minimum():
    from greensword.cases import discretion

    # fine at the floor (100,000 for AIR-99-2): no offset without a 减轻 ground
    assert discretion.study_offset("AIR-99-2", 100_000, 1_000, major=False, floor=100_000) == (0, 0)
    assert discretion.study_offset("AIR-99-2", 110_000, 1_000, major=False, floor=100_000) == (10_000, 100)
    assert discretion.study_offset("AIR-99-2", 100_000, 1_000, major=False, floor=100_000,
                                   mitigation="eliminated_harm") == (30_000, 300)


def test_mitigation_needs_a_ground(flow, db):
    c = flow.open()
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    with pytest.raises(ValidationFailed, match="第三十二条"):
        service.apply_discretion(db, flow.officer, c, answers=AIR, modifiers=["mitigated"])
    with pytest.raises(ValidationFailed, match="只适用于公民"):
        service.apply_discretion(db, flow.officer, c, answers=AIR, non_penalty_ground="under_age")


def test_transfer_clocks_and_reads(flow, db):
    from datetime import datetime

    c = flow.open(discovered=date(2026, 9, 25))
    flow.act(c, "file", date(2026, 9, 28))
    m = service.add_measure(db, flow.leader, c, "criminal_transfer", started_on=date(2026, 9, 29),
                            data={"receiver": "上城公安分局", "reason": "涉嫌污染环境罪"})
    t = service.get_transfer(db, flow.leader, m.id, today=date(2026, 10, 9))
    assert t.decide_by == date(2026, 10, 8) and t.overdue                 # 09-29 + 3 = 10-02 (holiday) → 10-08
    with pytest.raises(ValidationFailed, match="理由"):
        service.approve_transfer(db, flow.leader, m, approved=False, at=datetime(2026, 9, 30, 9))
    with pytest.raises(Exception, match="批准后移送"):
        service.send_transfer(db, flow.officer, m, at=datetime(2026, 9, 30, 10))
    service.approve_transfer(db, flow.leader, m, approved=True, at=datetime(2026, 9, 30, 9))
    service.send_transfer(db, flow.officer, m, at=datetime(2026, 10, 1, 10))   # 25 hours later
    t = service.get_transfer(db, flow.leader, m.id, today=date(2026, 10, 1))
    assert any("二十四小时" in x for x in t.overdue)
    assert [x.id for x in service.list_transfers(db, flow.leader, kind="criminal_transfer")] == [m.id]


def test_publishable_decisions_with_deadline(flow, db):
    c = flow.open(code="AIR-100-3")
    flow.to_reviewed(c, answers={"kind": "未联网/数据缺失<=72h", "duration": "<=1个月"})
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    flow.act(c, "decide", date(2026, 3, 18), fine=74_000)
    pub = service.publishable_decisions(db, flow.leader)
    assert [p.case_id for p in pub] == [c.id]
    # 20 working days from 03-18 skip 清明 (04-04..06): 03-19 … 04-03 is 12, 04-07 … 04-16 is 20
    assert pub[0].publish_by == date(2026, 4, 16)


def test_months_are_calendar_months():
    from greensword.cases import calendar

    assert calendar.add_days(date(2026, 3, 31), 6, "months") == date(2026, 9, 30)
    assert calendar.add_days(date(2026, 8, 31), 6, "months") == date(2027, 3, 1)      # 02-28 is a Sunday
    assert calendar.add_months(date(2028, 8, 31), 6) == date(2029, 2, 28)
    assert calendar.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)             # leap year


def _served_case(flow, db, fine=74_000):
    c = flow.open(code="AIR-100-3")
    flow.to_reviewed(c, answers={"kind": "未联网/数据缺失<=72h", "duration": "<=1个月"})
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    flow.act(c, "decide", date(2026, 3, 18), fine=fine)
    flow.act(c, "serve", date(2026, 3, 19), flow.officer)         # payment due 04-03
    return c


def test_payment_plan_refusals_change_nothing(flow, db):
    c = _served_case(flow, db)
    bad = [dict(kind="deferral", until=date(2026, 4, 3)),                               # not after the due date
           dict(kind="instalments", instalments=[(date(2026, 4, 30), 74_000)]),          # one instalment
           dict(kind="instalments", instalments=[(date(2026, 4, 30), 30_000), (date(2026, 5, 31), 30_000)]),
           dict(kind="instalments", instalments=[(date(2026, 3, 1), 37_000), (date(2026, 5, 31), 37_000)]),
           dict(kind="instalments", instalments=[(date(2026, 4, 30), 0), (date(2026, 5, 31), 74_000)]),
           dict(kind="monthly")]
    for kw in bad:
        with pytest.raises(ValidationFailed):
            service.approve_payment_plan(db, flow.leader, c, reason="经营困难", on=date(2026, 3, 20), **kw)
        assert c.payment_plan == {}
    with pytest.raises(ValidationFailed, match="第六十六条"):
        service.approve_payment_plan(db, flow.leader, c, kind="deferral", until=date(2026, 6, 30), reason=" ",
                                     on=date(2026, 3, 20))
    service.approve_payment_plan(db, flow.leader, c, kind="instalments", reason="经营困难", on=date(2026, 3, 20),
                                 instalments=[(date(2026, 4, 30), 37_000), (date(2026, 5, 31), 37_000)])
    flow.act(c, "record_payment", date(2026, 4, 30), flow.officer, amount=37_000)
    flow.act(c, "record_payment", date(2026, 6, 2), flow.officer, amount=37_000)         # 2 days late
    with pytest.raises(IllegalTransition, match="加处罚款"):
        flow.act(c, "close", date(2026, 6, 3))
    assert service.surcharge(db, c, date(2026, 12, 31)) == 2 * 1_110                   # 3 % of 37,000 × 2
    flow.act(c, "record_payment", date(2026, 6, 3), flow.officer, amount=2_220)
    flow.act(c, "close", date(2026, 6, 3))
    assert c.paid_on == date(2026, 6, 3)


def test_fine_paid_ten_days_late_owes_ten_days_and_the_case_closes(flow, db):
    c = _served_case(flow, db)
    flow.act(c, "record_payment", date(2026, 4, 13), flow.officer, amount=74_000)       # 04-04 … 04-13
    assert service.surcharge(db, c, date(2026, 12, 31)) == 10 * 2_220
    flow.act(c, "record_payment", date(2026, 4, 14), flow.officer, amount=22_200)
    flow.act(c, "close", date(2026, 4, 15))
    assert c.stage == "closed"


def test_extension_beyond_thirty_days_is_refused(flow, db):
    c = flow.open()
    flow.to_reviewed(c)
    events = len(service.events(db, c))
    with pytest.raises(IllegalTransition, match="不得超过30日"):
        flow.act(c, "extend", date(2026, 4, 1), reason="复杂", days=31)
    with pytest.raises(IllegalTransition, match="须先经负责人批准"):
        flow.act(c, "extend", date(2026, 4, 1), reason="复杂", kind="collective", days=10, record="记录")
    assert c.extensions in ([], None) and len(service.events(db, c)) == events
    flow.act(c, "extend", date(2026, 4, 1), reason="复杂", days=30)
    assert service.decision_deadline(db, c) == date(2026, 7, 1)


def test_measures_carry_their_working_day_clocks(flow, db):
    c = flow.open(discovered=date(2026, 9, 25))
    flow.act(c, "file", date(2026, 9, 28))
    kept = service.add_measure(db, flow.leader, c, "evidence_kept", started_on=date(2026, 9, 29))
    # 7 working days: 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13, 10-14
    assert kept.ends_on == date(2026, 10, 14)
    c.stage = "reviewing"
    limit = service.add_measure(db, flow.leader, c, "restriction", started_on=date(2026, 9, 29))
    assert limit.data["plan_due"] == "2026-10-26"      # 15 working days for the rectification plan
    assert limit.ends_on == date(2026, 12, 29)         # three calendar months


ARTICLE = __import__("re").compile(r"第[一二三四五六七八九十百零]+条")


def test_each_refusal_names_its_article_and_changes_nothing(flow, db):
    c = flow.open()
    flow.to_reviewed(c)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)

    def refused(action, on, who=None, **data):
        before = (c.stage, len(service.events(db, c)), len(service.pauses(db, c)), dict(c.discretion))
        with pytest.raises(IllegalTransition) as exc:
            service.act(db, who or flow.leader, c.id, action, on=on, data=data)
        assert ARTICLE.search(exc.value.message), exc.value.message
        db.expire(c)
        assert (c.stage, len(service.events(db, c)), len(service.pauses(db, c)), dict(c.discretion)) == before
        return exc.value.message

    refused("decide", date(2026, 3, 13), fine=424_000)                                   # statement period
    refused("legal_review", date(2026, 3, 20), flow.reviewer, opinion="approve")        # no qualification
    refused("legal_review", date(2026, 3, 20), flow.reviewer, opinion="no", qualification="A1")
    refused("extend", date(2026, 3, 20), reason="x", days=40)
    refused("extend", date(2026, 3, 20), reason="x", kind="collective", days=10, record="r")
    refused("pause", date(2026, 3, 20), flow.officer, kind="weather", document="d")
    refused("pause", date(2026, 3, 20), flow.officer, kind="monitoring")
    refused("suspend", date(2026, 3, 20), reason="等待")
    refused("withdraw", date(2026, 3, 20))
    refused("request_hearing", date(2026, 3, 20), flow.officer)                          # 5 working days passed
    refused("discuss", date(2026, 3, 20), participants=["甲"], conclusion="同意")
    refused("decide", date(2026, 3, 20), hearing_waived=True, defence_received=True)     # legal review first
    refused("approve_review", date(2026, 3, 20), flow.officer)                           # stage, 查处分离


def test_whoever_added_evidence_investigated_and_cannot_decide(flow, db):
    """查处分离 counts the evidence's authors among the investigators (not only the assigned
    officers and the investigative steps' takers): a leader who added evidence cannot decide."""
    c = flow.open()
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    assert "leader-330102" not in service.investigators(db, c)
    service.add_evidence_document(db, flow.leader, c, "现场照片", b"jpeg")
    assert "leader-330102" in service.investigators(db, c)
    service.apply_discretion(db, flow.officer, c, answers=AIR)
    flow.act(c, "submit_review", date(2026, 3, 10), flow.officer)
    flow.act(c, "approve_review", date(2026, 3, 11), flow.reviewer)
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    with pytest.raises(IllegalTransition, match="查处分离"):
        flow.act(c, "decide", date(2026, 4, 30), hearing_waived=True, defence_received=True)
