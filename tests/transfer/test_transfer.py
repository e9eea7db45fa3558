import re
from datetime import date

import pytest

from greensword.cases import service as cases
from greensword.core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from greensword.transfer import service
from tests.conftest import login_as
from tests.factories import actor


def _case_with_transfer(db, world, kind="criminal_transfer", on=date(2026, 9, 21)):
    officer, leader = actor(db, world, "officer-330102"), actor(db, world, "leader-330102")
    ent = world.enterprises["330102-key"]
    c = cases.open_case(db, officer, enterprise_id=ent.id, title="通过暗管排放含重金属废水", facts="暗管排放，超标3倍以上",
                        source="inspection", source_ref="检查记录 1", discovered_on=date(2026, 9, 10),
                        officer_ids=[world.officers["330102-0"].id, world.officers["330102-1"].id])
    cases.act(db, leader, c.id, "file", on=date(2026, 9, 11))
    m = cases.add_measure(db, leader, c, kind, started_on=on, data={"receiver": "杭州市公安局上城区分局"})
    return c, m


@pytest.mark.db
def test_deadline_windows_at_holiday_edges(db, world):
    c, m = _case_with_transfer(db, world)
    leader = actor(db, world, "leader-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    service.receipt(db, leader, t.id, on=date(2026, 9, 22))
    # day 3 is 09-25, Mid-Autumn Festival, then a weekend: the police have until Monday 09-28
    assert [d.due for d in service.dues(t) if d.label == "公安机关审查决定"] == [date(2026, 9, 28)]
    service.decide(db, leader, t.id, accepted=False, on=date(2026, 9, 28), reason="不认为构成犯罪")
    # day 3 after the refusal notice is 10-01 (National Day): the window runs to 10-08
    with pytest.raises(ValidationFailed, match="2026-10-08"):
        service.request_reconsideration(db, leader, t.id, on=date(2026, 10, 9))
    assert t.status == "refused"
    service.request_reconsideration(db, leader, t.id, on=date(2026, 10, 8))
    assert t.status == "reconsidering"


def test_reconsideration_window_on_ordinary_days(db, world):
    c, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    leader = actor(db, world, "leader-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    service.receipt(db, leader, t.id, on=date(2026, 11, 3))
    service.decide(db, leader, t.id, accepted=False, on=date(2026, 11, 9), reason="证据不足")     # Monday
    with pytest.raises(ValidationFailed, match="3日内"):
        service.request_reconsideration(db, leader, t.id, on=date(2026, 11, 13))
    service.request_reconsideration(db, leader, t.id, on=date(2026, 11, 12))


def test_reconsideration_window_ending_on_a_weekend(db, world):
    c, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    leader = actor(db, world, "leader-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    service.receipt(db, leader, t.id, on=date(2026, 11, 3))
    service.decide(db, leader, t.id, accepted=False, on=date(2026, 11, 4), reason="证据不足")     # day 3 = Saturday
    with pytest.raises(ValidationFailed, match="2026-11-09"):
        service.request_reconsideration(db, leader, t.id, on=date(2026, 11, 10))
    service.request_reconsideration(db, leader, t.id, on=date(2026, 11, 9))


@pytest.mark.db
def test_refusals_say_why_and_nothing_changes(db, world):
    c, m = _case_with_transfer(db, world)
    leader, officer = actor(db, world, "leader-330102"), actor(db, world, "officer-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    with pytest.raises(Conflict):
        service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    with pytest.raises(NotFound):
        service.open_followup(db, leader, case_id=c.id, measure_id=m.id + 999)
    with pytest.raises(IllegalTransition, match="已移送待签收"):
        service.decide(db, leader, t.id, accepted=True, on=date(2026, 9, 23))
    with pytest.raises(ValidationFailed, match="早于"):
        service.receipt(db, leader, t.id, on=date(2026, 9, 20))
    service.receipt(db, leader, t.id, on=date(2026, 9, 22))
    with pytest.raises(ValidationFailed, match="不予立案理由"):
        service.decide(db, leader, t.id, accepted=False, on=date(2026, 9, 23))
    assert t.status == "received"
    service.decide(db, leader, t.id, accepted=True, on=date(2026, 9, 23))
    with pytest.raises(ValidationFailed, match="刑事拘留、逮捕"):
        service.add_person(db, leader, t.id, name="张三", role="直接负责的主管人员", measure="admin_detention",
                           measure_on=date(2026, 9, 24), days=10)
    with pytest.raises(ValidationFailed, match="18位"):
        service.add_person(db, leader, t.id, name="张三", role="直接负责的主管人员", measure="arrest",
                           measure_on=date(2026, 9, 24), id_number="12345")
    from greensword.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        service.add_person(db, officer, t.id, name="张三", role="直接负责的主管人员", measure="arrest",
                           measure_on=date(2026, 9, 24))
    with pytest.raises(PermissionDenied):
        service.get(db, actor(db, world, "leader-330106"), t.id)


def test_criminal_transfer_refused_reconsidered_accepted_with_two_persons(client, db, world):
    c, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    db.commit()
    login_as(client, "leader-330102")
    r = client.get("/transfer")
    assert c.number in r.text and "开始跟踪" in r.text
    r = client.post("/transfer", data={"case_id": c.id, "measure_id": m.id})
    tid = int(str(r.url).rstrip("/").split("/")[-1])
    client.post(f"/transfer/{tid}/receipt", data={"on": "2026-11-03"})
    client.post(f"/transfer/{tid}/decide", data={"accepted": "false", "on": "2026-11-05", "reason": "证据不足"})
    r = client.post(f"/transfer/{tid}/reconsider", data={"on": "2026-11-11"}, headers={"accept": "application/json"})
    assert r.status_code == 422 and "复议期限" in r.json()["detail"]
    r = client.post(f"/transfer/{tid}/reconsider", data={"on": "2026-11-08"})
    assert "复议中" in r.text
    client.post(f"/transfer/{tid}/reconsidered", data={"accepted": "true", "on": "2026-11-10"})
    for name, ident, measure in (("王建国", "330102198001011234", "criminal_detention"), ("李海", "", "bail")):
        client.post(f"/transfer/{tid}/persons", data={"name": name, "role": "直接负责的主管人员", "measure": measure,
                                                      "measure_on": "2026-11-11", "id_number": ident})
    client.post(f"/transfer/{tid}/handover", data={"on": "2026-11-12"})
    r = client.get(f"/transfer/{tid}")
    assert "已受理/立案" in r.text and "移交涉案物品" in r.text and "王建国" in r.text and "330102198001011234" in r.text
    client.post("/logout")
    login_as(client, "officer-330102")
    r = client.get(f"/transfer/{tid}")
    assert "王建国" not in r.text and "330102198001011234" not in r.text and "王**" in r.text
    api = client.get(f"/api/v1/transfer/{tid}").json()
    assert len(api["persons"]) == 2 and api["status"] == "accepted"
    rows = service.statistics(db, actor(db, world, "admin-330000"), year=2026, on=date(2026, 11, 20))
    row = next(r for r in rows if r["agency_id"] == world.agencies["330102"].id)
    assert (row["criminal"], row["criminal_persons"], row["refused"], row["reconsidered_filed"], row["overdue"]) \
        == (1, 2, 1, 1, 0)
    assert re.search("行刑衔接", client.get("/transfer/stats").text)


@pytest.mark.db
def test_overdue_police_decision_counted(db, world):
    c, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    leader = actor(db, world, "leader-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    service.receipt(db, leader, t.id, on=date(2026, 11, 3))
    row = service.statistics(db, leader, year=2026, on=date(2026, 11, 6))[0]
    assert row["overdue"] == 0                                   # due 11-06: not yet late
    row = service.statistics(db, leader, year=2026, on=date(2026, 11, 7))[0]
    assert row["overdue"] == 1


def test_exhibits_handed_over_within_three_days_of_filing(db, world):
    c, m = _case_with_transfer(db, world, on=date(2026, 11, 2))
    leader = actor(db, world, "leader-330102")
    t = service.open_followup(db, leader, case_id=c.id, measure_id=m.id)
    service.receipt(db, leader, t.id, on=date(2026, 11, 3))
    service.decide(db, leader, t.id, accepted=True, on=date(2026, 11, 5))        # Thursday: day 3 is Sunday
    due = next(d for d in service.dues(t) if d.label == "移交涉案物品和材料")
    assert due.due == date(2026, 11, 9) and due.overdue(date(2026, 11, 10)) and not due.overdue(date(2026, 11, 9))
    service.handover(db, leader, t.id, on=date(2026, 11, 9))
    due = next(d for d in service.dues(t) if d.label == "移交涉案物品和材料")
    assert due.done_on == date(2026, 11, 9) and not due.overdue(date(2026, 12, 1))
    with pytest.raises(IllegalTransition, match="已于"):
        service.handover(db, leader, t.id, on=date(2026, 11, 10))
