from datetime import date, timedelta

import pytest

from greensword.cases import service, workflow
from greensword.cases.documents import text_of
from greensword.core.errors import Conflict, IllegalTransition, ValidationFailed

pytestmark = pytest.mark.db


def test_full_procedure_with_hearing_discussion_decision_service_payment_archive(flow, db):
    c = flow.open()
    with pytest.raises(IllegalTransition, match="不能“作出处罚决定”"):
        flow.act(c, "decide", date(2026, 3, 3))
    flow.to_reviewed(c)
    assert c.fine_proposed == 424_000 and c.major          # above the 200,000 hearing threshold
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    with pytest.raises(IllegalTransition, match="陈述申辩期限"):
        flow.act(c, "decide", date(2026, 3, 13))
    flow.act(c, "request_hearing", date(2026, 3, 16), flow.officer)      # within 5 working days
    with pytest.raises(IllegalTransition, match="七个工作日前"):
        flow.act(c, "notice_hearing", date(2026, 3, 17), flow.reviewer, hearing_date="2026-03-25")
    with pytest.raises(IllegalTransition, match="非本案调查人员"):     # the investigator cannot chair
        flow.act(c, "notice_hearing", date(2026, 3, 17), flow.officer, hearing_date="2026-03-26")
    flow.act(c, "notice_hearing", date(2026, 3, 17), flow.reviewer, hearing_date="2026-03-26")
    with pytest.raises(IllegalTransition, match="笔录"):
        flow.act(c, "hold_hearing", date(2026, 3, 26), flow.reviewer)
    flow.act(c, "hold_hearing", date(2026, 3, 26), flow.reviewer, record="当事人对事实无异议，请求从轻")
    assert service.decision_deadline(db, c) == date(2026, 6, 11)        # 03-03 + 90 + 10 hearing days
    with pytest.raises(IllegalTransition, match="法制审核"):
        flow.act(c, "decide", date(2026, 3, 27), fine=424_000)
    with pytest.raises(IllegalTransition, match="法律职业资格"):
        flow.act(c, "legal_review", date(2026, 3, 27), flow.reviewer, opinion="approve")
    flow.act(c, "legal_review", date(2026, 3, 27), flow.reviewer, opinion="approve", qualification="A2020330100")
    with pytest.raises(IllegalTransition, match="集体讨论"):
        flow.act(c, "decide", date(2026, 3, 27), fine=424_000)
    flow.act(c, "discuss", date(2026, 3, 27), participants=["局长", "副局长", "法规科长"], conclusion="同意")
    with pytest.raises(IllegalTransition, match="偏离"):
        flow.act(c, "decide", date(2026, 3, 30), fine=300_000)
    flow.act(c, "decide", date(2026, 3, 30), fine=424_000)
    assert {"hearing_notice", "hearing_record", "discussion_record"} <= {d.kind for d in service.case_documents(db, c)}
    kinds = [d.kind for d in service.case_documents(db, c)]
    assert {"notice", "decision", "correction", "guidance", "credit_repair"} <= set(kinds)   # 五书同达
    flow.act(c, "serve", date(2026, 3, 31), flow.officer)
    with pytest.raises(IllegalTransition, match="罚款尚未缴清"):
        flow.act(c, "close", date(2026, 4, 1))
    flow.act(c, "record_payment", date(2026, 4, 1), flow.officer, amount=424_000)
    flow.act(c, "close", date(2026, 4, 2))
    flow.act(c, "archive", date(2026, 4, 10), flow.officer)
    assert c.stage == "archived"
    actions = [e.action for e in service.events(db, c)]
    assert actions[0] == "open" and actions[-1] == "archive" and "hold_hearing" in actions
    due = {d.kind: d for d in service.due_list(db, c, date(2026, 4, 10))}
    assert due["decision"].due == date(2026, 6, 11) and due["decision"].status(date(2026, 4, 10)) == "done"
    # served Tue 03-31 + 15 days = Wed 04-15; remedies run from service (知道之日)
    assert due["payment"].due == date(2026, 4, 15) and due["payment"].status(date(2026, 4, 10)) == "done"
    assert due["reconsideration"].due == date(2026, 6, 1)        # 05-30 is a Saturday
    assert due["lawsuit"].due == date(2026, 9, 30)               # six calendar months
    decision = next(d for d in service.case_documents(db, c) if d.kind == "decision")
    assert decision.signed
    with pytest.raises(Conflict):
        service.generate_document(db, flow.leader, c, "decision")


def test_reviewer_returns_case_for_more_investigation(flow, db):
    c = flow.open()
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    service.apply_discretion(db, flow.officer, c, answers={"ratio": "0.5-1倍", "duration": "单次", "area": "一般区域",
                                                           "pollutant": "颗粒物/SO2/NOx"})
    flow.act(c, "submit_review", date(2026, 3, 10), flow.officer)
    with pytest.raises(IllegalTransition, match="补充的事实或证据"):
        flow.act(c, "return", date(2026, 3, 11), flow.reviewer)
    flow.act(c, "return", date(2026, 3, 11), flow.reviewer, reason="缺少监测报告的计量认证标志")
    assert c.stage == "investigating"
    service.update_facts(db, flow.officer, c, facts="补充：监测报告（CMA）已附卷。")


def test_non_penalty_list_case(flow, db):
    c = flow.open(code="SW-112-1")
    flow.act(c, "file", date(2026, 3, 3))
    flow.act(c, "investigate", date(2026, 3, 4), flow.officer)
    service.apply_discretion(db, flow.officer, c, answers={"extent": "个别场所"},
                             facts={"first_offence": True, "minor_harm": True, "corrected_in_time": True})
    assert c.discretion["non_penalty_text"]
    flow.act(c, "submit_review", date(2026, 3, 5), flow.officer)
    flow.act(c, "approve_review", date(2026, 3, 6), flow.reviewer)
    flow.act(c, "notify", date(2026, 3, 9), flow.officer)
    flow.act(c, "decide_non_penalty", date(2026, 3, 13), defence_received=True)
    assert c.outcome == "non_penalty" and c.fine == 0
    flow.act(c, "serve", date(2026, 3, 13), flow.officer)
    flow.act(c, "close", date(2026, 3, 14))
    doc = next(d for d in service.case_documents(db, c) if d.kind == "non_penalty")
    text = text_of(service.document_bytes(doc))
    assert "不予行政处罚" in text and "危险废物识别标志" in text and c.number in text


def test_refused_transitions_name_the_problem(flow, db):
    c = flow.open()
    for action in ("investigate", "notify", "serve", "close", "archive", "resume", "hold_hearing"):
        with pytest.raises(IllegalTransition) as exc:
            flow.act(c, action, date(2026, 3, 3))
        assert "线索" in exc.value.message and exc.value.code == "cases.illegal_transition"
    with pytest.raises(IllegalTransition, match="角色"):
        flow.act(c, "file", date(2026, 3, 3), flow.officer)
    with pytest.raises(IllegalTransition, match="十五日"):
        flow.act(c, "file", date(2026, 3, 30))                              # late filing needs a reason
    flow.act(c, "file", date(2026, 3, 30), late_reason="线索核查需调取监测数据，经负责人批准")
    with pytest.raises(IllegalTransition, match="倒签"):
        flow.act(c, "investigate", date(2026, 3, 1), flow.officer)
    service.update_facts(db, flow.officer, c, officer_ids=[flow.world.officers["330102-0"].id])
    with pytest.raises(IllegalTransition, match="两名以上"):
        flow.act(c, "investigate", date(2026, 3, 31), flow.officer)
    service.update_facts(db, flow.officer, c, officer_ids=[flow.world.officers["330102-0"].id,
                                                          flow.world.officers["330102-1"].id])
    flow.act(c, "investigate", date(2026, 3, 31), flow.officer)
    with pytest.raises(IllegalTransition, match="裁量"):
        flow.act(c, "submit_review", date(2026, 4, 1), flow.officer)
    with pytest.raises(ValidationFailed, match="理由"):
        service.apply_discretion(db, flow.officer, c, answers={"ratio": "0.5-1倍", "duration": "单次",
                                                               "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"},
                                 fine=150_000)
    with pytest.raises(ValidationFailed, match="法定幅度"):
        service.apply_discretion(db, flow.officer, c, answers={"ratio": "0.5-1倍", "duration": "单次",
                                                               "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"},
                                 fine=50_000, departure_reason="x")


def test_suspension_withdrawal_extension_deadline_and_appeal(flow, db):
    c = flow.open()
    flow.to_reviewed(c)
    before = service.decision_deadline(db, c)
    with pytest.raises(IllegalTransition, match="审批表"):
        flow.act(c, "suspend", date(2026, 3, 12), reason="等待监测报告")
    flow.act(c, "suspend", date(2026, 3, 12), reason="等待监测报告", document="中止调查审批表")
    with pytest.raises(IllegalTransition):
        flow.act(c, "notify", date(2026, 3, 13), flow.officer)
    flow.act(c, "resume", date(2026, 4, 11))
    assert c.stage == "reviewed" and service.decision_deadline(db, c) == before + timedelta(days=30)
    flow.act(c, "extend", date(2026, 4, 12), reason="案情复杂")
    with pytest.raises(IllegalTransition, match="只能一次"):
        flow.act(c, "extend", date(2026, 4, 13), reason="再延")
    with pytest.raises(IllegalTransition, match="集体讨论记录"):
        flow.act(c, "extend", date(2026, 4, 13), reason="再延", kind="collective", days=20)
    with pytest.raises(IllegalTransition, match="不得超过30日"):
        flow.act(c, "extend", date(2026, 4, 13), reason="再延", kind="collective", days=45, record="集体讨论记录")
    flow.act(c, "extend", date(2026, 4, 13), reason="再延", kind="collective", days=20, record="2026-04-13 集体讨论")
    with pytest.raises(IllegalTransition, match="只能一次"):
        flow.act(c, "extend", date(2026, 4, 14), reason="三延", kind="collective", days=5, record="x")
    # filed 03-03 + 90 + 30 suspended + 30 approved + 20 collective = 08-20 (Thursday)
    assert service.decision_deadline(db, c) == date(2026, 8, 20)
    flow.act(c, "notify", date(2026, 4, 14), flow.officer)
    flow.act(c, "legal_review", date(2026, 4, 20), flow.reviewer, opinion="approve", qualification="A1",
             hearing_waived=True)
    flow.act(c, "discuss", date(2026, 4, 22), participants=["甲", "乙", "丙"], conclusion="同意")
    with pytest.raises(IllegalTransition, match="办案期限"):
        flow.act(c, "decide", date(2026, 8, 21), fine=424_000)
    flow.act(c, "decide", date(2026, 4, 23), fine=424_000)
    flow.act(c, "serve", date(2026, 4, 24), flow.officer)
    flow.act(c, "record_appeal", date(2026, 5, 10), flow.officer, kind="reconsideration")
    flow.act(c, "record_appeal", date(2026, 6, 10), flow.officer, kind="reconsideration", outcome="upheld")
    assert c.appeal["outcome"] == "upheld" and c.appeals[0]["decided_on"] == "2026-06-10"
    due = {d.kind: d for d in service.due_list(db, c, date(2026, 6, 11))}
    assert due["lawsuit_after_reconsideration"].due == date(2026, 6, 25)
    c2 = flow.open()
    flow.act(c2, "file", date(2026, 3, 3))
    with pytest.raises(IllegalTransition, match="理由"):
        flow.act(c2, "withdraw", date(2026, 3, 4))
    flow.act(c2, "withdraw", date(2026, 3, 4), reason="经查不属于本机关管辖，移送有管辖权的机关")
    assert c2.stage == "closed" and c2.outcome == "withdrawn"


def test_study_points_offset_recorded_in_decision(flow, db):
    ent = flow.world.enterprises["330102-key"]
    service.earn_points(db, flow.officer, ent.id, 300, "完成《大气污染防治法》在线课程")
    c = flow.open(code="AIR-100-3")
    flow.to_reviewed(c, answers={"kind": "未联网/数据缺失<=72h", "duration": "<=1个月"})
    assert c.fine_proposed == 74_000 and not c.major
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    flow.act(c, "decide", date(2026, 3, 18), fine=74_000, use_points=True)
    assert (c.offset_yuan, c.offset_points) == (22_200, 222)
    assert service.points_balance(db, ent.id) == 78
    decision = next(d for d in service.case_documents(db, c) if d.kind == "decision")
    text = text_of(service.document_bytes(decision))
    assert "74,000" in text and "22,200" in text and "柒万肆仟元整" in text
    assert "六十日内申请行政复议" in text and ent.name in text


def test_measures_transfers_and_daily_penalty(flow, db):
    c = flow.open(code="WATER-83-3", discovered=date(2026, 9, 19))
    flow.act(c, "file", date(2026, 9, 20))
    seal = service.add_measure(db, flow.leader, c, "seizure", started_on=date(2026, 9, 20))
    assert seal.ends_on == date(2026, 10, 20)
    service.extend_measure(db, flow.leader, seal, "需技术鉴定")
    assert seal.ends_on == date(2026, 11, 19)
    with pytest.raises(Conflict):
        service.extend_measure(db, flow.leader, seal, "again")
    with pytest.raises(IllegalTransition, match="可移送阶段"):     # detention: after investigation
        service.add_measure(db, flow.leader, c, "detention_transfer", started_on=date(2026, 9, 21),
                            data={"receiver": "杭州市公安局上城区分局"})
    c.stage = "reviewing"
    with pytest.raises(ValidationFailed, match="公安机关"):
        service.add_measure(db, flow.leader, c, "detention_transfer", started_on=date(2026, 9, 21))
    m = service.add_measure(db, flow.leader, c, "detention_transfer", started_on=date(2026, 9, 21),
                            data={"receiver": "杭州市公安局上城区分局", "reason": "篡改自动监测数据逃避监管"})
    service.record_receipt(db, flow.leader, m, "上公（环）受字〔2026〕18号", date(2026, 9, 22))
    assert any(d.kind == "transfer" for d in service.case_documents(db, c))
    c.fine = 100_000
    daily = service.add_measure(db, flow.leader, c, "daily_penalty", started_on=date(2026, 9, 22),
                                data={"reinspected_on": "2026-10-02"})
    assert service.daily_penalty_total(c, daily) == 1_000_000


def test_every_transition_has_a_refusal_test():
    """Each transition can be refused from a stage outside its sources."""
    class C:
        stage = "archived"

    for t in workflow.TRANSITIONS.values():
        if "archived" in t.sources:
            continue
        with pytest.raises(workflow.Refused):
            workflow.check(C, t.action, {"admin", "leader", "officer", "reviewer"},
                           workflow.Ctx(on=date(2026, 1, 1), data={}))
