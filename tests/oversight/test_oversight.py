import io
from datetime import date, timedelta

import pytest
from docx import Document

from greensword.cases import service as cases
from greensword.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from greensword.oversight import service
from tests.conftest import login_as
from tests.factories import actor

YEAR = 2026


def _case(db, world, code="330102"):
    officer = actor(db, world, f"officer-{code}")
    return cases.open_case(db, officer, enterprise_id=world.enterprises[f"{code}-key"].id, title="废气超标排放",
                           facts="监测超标", source="inspection", source_ref="检查记录", discovered_on=date(YEAR, 1, 5),
                           officer_ids=[world.officers[f"{code}-0"].id, world.officers[f"{code}-1"].id])


def test_metric_thresholds_are_strict_at_the_boundary():
    m = service.rules().metrics
    assert m["review_score"].flagged(79.9) and not m["review_score"].flagged(80.0)
    assert m["overdue_steps"].flagged(2) and not m["overdue_steps"].flagged(1)
    assert not m["coverage"].flagged(None)


def _limit_selection(max_by_metrics: int) -> None:
    """An official's override of the rules file (data dir): fewer units chosen by metrics."""
    from greensword.core.rules import rules_path
    from greensword.settings import get_settings

    text = rules_path("oversight/selection.yaml").read_text(encoding="utf-8")
    target = get_settings().data_dir / "rules" / "oversight" / "selection.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace("max_by_metrics: 4", f"max_by_metrics: {max_by_metrics}"), encoding="utf-8")


@pytest.mark.db
def test_selection_by_metrics_then_seeded_random(db, world):
    _case(db, world)                                          # 330102: 1 case / 2 enterprises = 50 per 100
    _limit_selection(1)
    leader = actor(db, world, "leader-330100")
    p = service.create_plan(db, leader, agency_id=world.agencies["330100"].id, year=YEAR, name="年度稽查")
    with pytest.raises(ValidationFailed, match="种子"):
        service.select_units(db, leader, p.id)
    units = service.select_units(db, leader, p.id, seed="摇号 42")
    by = {u.agency.division_code: u for u in units}
    # both lack inspections (coverage flag); 330106 also has no cases, so it has more flags and is chosen
    assert by["330106"].reason == "metrics" and set(by["330106"].flags) == {"cases_per_100", "coverage"}
    assert by["330102"].reason == "random" and by["330102"].flags == ["coverage"]
    assert "330203" not in by                                 # another city's county is outside the plan
    with pytest.raises(IllegalTransition):
        service.select_units(db, leader, p.id, seed="again")
    with pytest.raises(PermissionDenied):
        service.create_plan(db, actor(db, world, "leader-330102"), agency_id=world.agencies["330100"].id, year=YEAR,
                            name="越权")


def _ready_unit(db, world):
    _case(db, world)
    leader = actor(db, world, "leader-330100")
    p = service.create_plan(db, leader, agency_id=world.agencies["330100"].id, year=YEAR, name="年度稽查", seed="s1")
    u = next(u for u in service.select_units(db, leader, p.id) if u.agency.division_code == "330102")
    return leader, u


def test_team_not_from_audited_unit_and_refusals(db, world):
    leader, u = _ready_unit(db, world)
    with pytest.raises(ValidationFailed, match="不得来自被稽查单位"):
        service.assign_team(db, leader, u.id, ["reviewer-330100", "officer-330102"])
    with pytest.raises(ValidationFailed, match="至少"):
        service.assign_team(db, leader, u.id, ["reviewer-330100"])
    with pytest.raises(IllegalTransition, match="稽查组"):
        service.pull_files(db, leader, u.id)
    service.assign_team(db, leader, u.id, ["reviewer-330100", "evaluator-330100"])
    files = service.pull_files(db, leader, u.id)
    assert [f.kind for f in files] == ["case"]
    with pytest.raises(ValidationFailed, match="未登记结果"):
        service.add_finding(db, leader, u.id, area="案件办理", grade="meets", text="规范")
        service.send_feedback(db, leader, u.id)
    with pytest.raises(ValidationFailed, match="扣分超出"):
        service.check_file(db, leader, files[0].id, deductions={"filing_time": 9})
    with pytest.raises(ValidationFailed, match="整改建议"):
        service.add_finding(db, leader, u.id, area="期限", grade="improvement", text="超期")
    with pytest.raises(PermissionDenied):
        service.check_file(db, actor(db, world, "leader-330102"), files[0].id, deductions={})


@pytest.mark.db
def test_not_verified_goes_back_and_overdue_escalates(db, world):
    leader, u = _ready_unit(db, world)
    service.assign_team(db, leader, u.id, ["reviewer-330100", "evaluator-330100"])
    f = service.pull_files(db, leader, u.id)[0]
    service.check_file(db, leader, f.id, deductions={"filing_time": 2}, vetoes=[])
    assert f.score == 98.0
    fb = date(2026, 8, 2)
    a = service.add_finding(db, leader, u.id, area="案件办理", grade="improvement", text="笔录缺签名", recommendation="补正")
    b = service.add_finding(db, leader, u.id, area="期限", grade="attention", text="超期", recommendation="建台账",
                            due=fb + timedelta(days=10))
    service.send_feedback(db, leader, u.id, on=fb)
    assert a.due == date(2026, 10, 8)                 # day 60 after 08-02 is 10-01 (National Day): next working day
    unit_leader = actor(db, world, "leader-330102")
    service.submit_plan(db, unit_leader, a.id, "专班整改")
    service.report(db, unit_leader, a.id, "已补正", on=fb + timedelta(days=30))
    with pytest.raises(PermissionDenied):
        service.follow_up(db, unit_leader, a.id, verified=True, note="自己销号")
    service.follow_up(db, leader, a.id, verified=False, note="仍缺签名", on=fb + timedelta(days=40))
    assert a.status == "planned" and a.reopened == 1 and u.status == "feedback"
    out = service.escalate(db, leader, on=fb + timedelta(days=11))
    assert [x.id for x in out] == [b.id]                      # a's new deadline has not passed
    assert service.escalate(db, leader, on=fb + timedelta(days=12)) == []   # escalated once
    ind = service.indicator(db, year=YEAR, on=fb + timedelta(days=11))
    assert ind[world.agencies["330102"].id] == 100 - 10 - 4 - 5


def test_audit_from_selection_to_closed_recommendation(client, db, world):
    _case(db, world)
    db.commit()
    login_as(client, "leader-330100")
    r = client.post("/oversight", data={"agency_id": world.agencies["330100"].id, "year": YEAR, "name": "年度执法稽查",
                                        "seed": "公开摇号 8812"})
    assert "每百家企业立案数" in r.text
    pid = int(str(r.url).rstrip("/").split("/")[-1])
    r = client.post(f"/oversight/plans/{pid}/select", data={"seed": "公开摇号 8812"})
    assert "指标入选" in r.text and "公开摇号 8812" in r.text
    u = next(u for u in service.units_of(db, service.get_plan(db, actor(db, world, "admin-330000"), pid))
             if u.agency.division_code == "330102")
    client.post(f"/oversight/units/{u.id}/team", data={"usernames": "reviewer-330100，evaluator-330100"})
    client.post(f"/oversight/units/{u.id}/pull")
    db.expire_all()
    f = service.files_of(db, u)[0]
    client.post(f"/oversight/files/{f.id}", data={"d_filing_time": "2", "note": "立案审批表缺日期"})
    client.post(f"/oversight/units/{u.id}/findings", data={"area": "案件办理", "grade": "improvement",
                                                          "text": "立案审批表缺日期", "recommendation": "逐卷补正"})
    r = client.post(f"/oversight/units/{u.id}/feedback")
    assert "已反馈整改中" in r.text
    letter = client.get(f"/oversight/units/{u.id}/letter.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.content)).paragraphs)
    assert "立案审批表缺日期" in text and "逐卷补正" in text
    client.post("/logout")
    login_as(client, "leader-330102")
    db.expire_all()
    x = service.findings_of(db, u)[0]
    client.post(f"/oversight/findings/{x.id}/plan", data={"text": "成立专班逐卷补正"})
    client.post(f"/oversight/findings/{x.id}/report", data={"text": "已全部补正"})
    r = client.post(f"/oversight/findings/{x.id}/followup", data={"verified": "true", "note": "自行销号"},
                    headers={"accept": "application/json"})
    assert r.status_code == 403
    client.post("/logout")
    login_as(client, "leader-330100")
    r = client.post(f"/oversight/findings/{x.id}/followup", data={"verified": "true", "note": "回头看核实到位"})
    assert "已闭环" in r.text and "已销号" in r.text
    rows = client.get(f"/api/v1/oversight/stats?year={YEAR}").json()["items"]
    row = next(r for r in rows if r["unit_id"] == u.id)
    assert (row["case_score"], row["improvement"], row["closed"], row["closed_on_time"]) == (98.0, 1, 1, 1)
    assert "执法稽查" in client.get("/oversight").text


def test_three_flows_per_unit(client, db, world):
    from greensword.complaint import service as complaints
    from greensword.transfer import service as transfers
    from tests.transfer.test_transfer import _case_with_transfer

    leader = actor(db, world, "leader-330102")
    c = complaints.record_call(db, leader, agency_id=world.agencies["330102"].id, channel="hotline",
                               enterprise_name="某化工厂", address="", matter="water", content="夜间偷排污水到河里，河水发黑发臭",
                               anonymous=True, received_on=date(2026, 3, 2))
    complaints.decide(db, leader, c.id, decision="accept", on=date(2026, 3, 3))
    case, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    t = transfers.open_followup(db, leader, case_id=case.id, measure_id=m.id)
    transfers.receipt(db, leader, t.id, on=date(2026, 11, 3))
    transfers.decide(db, leader, t.id, accepted=True, on=date(2026, 11, 4))
    for name in ("甲某", "乙某"):
        transfers.add_person(db, leader, t.id, name=name, role="其他直接责任人员", measure="bail",
                             measure_on=date(2026, 11, 5))
    rows = {r["agency_id"]: r for r in service.flows_by_unit(db, actor(db, world, "admin-330000"), year=2026,
                                                             on=date(2026, 11, 6))}
    r = rows[world.agencies["330102"].id]
    assert (r["complaints"], r["criminal"], r["criminal_persons"], r["transfers_overdue"]) == (1, 1, 2, 0)
    assert world.agencies["330106"].id not in rows
    db.commit()
    login_as(client, "leader-330100")
    assert "涉嫌犯罪（人）" in client.get("/oversight/flows?year=2026").text


def test_dashboard_shows_flows_and_open_recommendations(client, db, world):
    leader, u = _ready_unit(db, world)
    service.assign_team(db, leader, u.id, ["reviewer-330100", "evaluator-330100"])
    f = service.pull_files(db, leader, u.id)[0]
    service.check_file(db, leader, f.id, deductions={})
    service.add_finding(db, leader, u.id, area="期限", grade="attention", text="超期", recommendation="建立期限台账")
    service.send_feedback(db, leader, u.id, on=date(2026, 8, 2))
    db.commit()
    login_as(client, "leader-330100")
    r = client.get("/dashboard")
    assert r.status_code == 200 and "建立期限台账" in r.text and "涉嫌犯罪（人）" in r.text
    login_as(client, "leader-330106")                    # another county does not see 330102's recommendation
    assert "建立期限台账" not in client.get("/dashboard").text


def test_audit_result_is_an_evaluation_indicator_when_the_scheme_has_one(db, world):
    from greensword.core.rules import rules_path
    from greensword.evaluation import service as evaluation
    from greensword.settings import get_settings

    leader, u = _ready_unit(db, world)
    service.assign_team(db, leader, u.id, ["reviewer-330100", "evaluator-330100"])
    service.check_file(db, leader, service.pull_files(db, leader, u.id)[0].id, deductions={})
    service.add_finding(db, leader, u.id, area="期限", grade="improvement", text="超期", recommendation="建台账")
    service.send_feedback(db, leader, u.id, on=date(YEAR, 1, 10))
    text = rules_path(f"evaluation/{YEAR}.yaml").read_text(encoding="utf-8")
    text = text.replace("indicators:\n", "indicators:\n  - {code: audit, name: 执法稽查结果, dimension: 日常监督执法, "
                                         "kind: oversight, weight: 10, target: 100}\n", 1)
    target = get_settings().data_dir / "rules" / "evaluation" / f"{YEAR}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    cards = {c.agency_id: c for c in evaluation.evaluate(db, year=YEAR, level="county", previous=False)}
    line = next(x for x in cards[world.agencies["330102"].id].lines if x["code"] == "audit")
    # 100 − 10 for one "needs improvement" − 5 because its deadline (03-11) had passed by the year end
    assert line["value"] == 85.0 and line["score"] == 8.5
    other = next(x for x in cards[world.agencies["330106"].id].lines if x["code"] == "audit")
    assert other["value"] is None and other["score"] == 0.0             # not audited: no data
