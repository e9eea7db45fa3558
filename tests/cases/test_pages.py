from datetime import date

from sqlalchemy import select

from greensword.cases.models import Case, CaseDocument
from tests.conftest import login_as


def test_case_pages_act_and_refusal_message(client, db, world, flow):
    c = flow.open(discovered=date.today())
    db.commit()
    login_as(client, "officer-330102")
    r = client.get("/cases")
    assert r.status_code == 200 and c.number in r.text
    r = client.get(f"/cases/{c.id}")
    assert "法定期限" in r.text and "立案审查期限" in r.text
    # an officer cannot file; the page says why and nothing changes
    r = client.post(f"/cases/{c.id}/act/file", data={"on": date.today().isoformat()})
    assert r.status_code == 409 and "须由以下角色办理：负责人" in r.text and "leader" not in r.text.split("须由")[1][:40]
    db.expire_all()
    assert db.get(Case, c.id).stage == "clue"
    login_as(client, "leader-330102")
    r = client.post(f"/cases/{c.id}/act/file", data={"on": date.today().isoformat()})
    assert r.status_code == 200 and "已立案" in r.text
    timeline = r.text.split('id="timeline"')[1].split("</ol>")[0]
    assert "登记案源" in timeline and "：立案" in timeline
    assert "：open" not in timeline and "：file" not in timeline


def test_enterprise_sees_own_case_documents_only(client, db, world, flow):
    c = flow.to_reviewed(flow.open())
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    db.commit()
    doc = db.execute(select(CaseDocument).where(CaseDocument.case_id == c.id, CaseDocument.kind == "notice")
                     ).scalar_one()
    login_as(client, "ent-330102-key")
    r = client.get(f"/cases/{c.id}/documents/{doc.id}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    login_as(client, "ent-330102-small")
    assert client.get(f"/cases/{c.id}/documents/{doc.id}").status_code == 403


def test_recusal_payment_plan_and_publication_from_the_case_page(client, db, world, flow):
    from greensword.cases import service

    c = flow.open(code="AIR-100-3")
    flow.to_reviewed(c, answers={"kind": "未联网/数据缺失<=72h", "duration": "<=1个月"})
    flow.act(c, "notify", date(2026, 3, 12), flow.officer)
    flow.act(c, "decide", date(2026, 3, 18), fine=74_000)
    flow.act(c, "serve", date(2026, 3, 19), flow.officer)
    db.commit()
    login_as(client, "officer-330102")
    r = client.post(f"/cases/{c.id}/recusals", data={"person": "leader-330102", "reason": " "})
    assert r.status_code == 422 and "说明理由" in r.text
    r = client.post(f"/cases/{c.id}/recusals", data={"person": "leader-330102", "reason": "与当事人有利害关系"})
    assert r.status_code == 200 and "待决定" in r.text
    r = client.post(f"/cases/{c.id}/payment-plan", data={"kind": "deferral", "until": "2026-06-30", "reason": "困难"})
    assert r.status_code == 403
    login_as(client, "leader-330102")
    r = client.post(f"/cases/{c.id}/payment-plan", data={"kind": "instalments", "reason": "经营困难", "on": "2026-03-20",
                                                          "instalments": "2026-04-30 37000\n2026-05-31 30000"})
    assert r.status_code == 422 and "合计" in r.text
    r = client.post(f"/cases/{c.id}/payment-plan", data={"kind": "instalments", "reason": "经营困难", "on": "2026-03-20",
                                                          "instalments": "2026-04-30 37000\n2026-05-31 37000"})
    assert r.status_code == 200 and "分期缴纳" in r.text
    r = client.post(f"/cases/{c.id}/publish", data={"on": "2026-03-25"})
    assert r.status_code == 200
    db.expire_all()
    assert db.get(Case, c.id).published_on == date(2026, 3, 25)
    assert [x.published_on for x in service.publishable_decisions(db, flow.leader)] == [date(2026, 3, 25)]


def test_timeline_action_names_cover_every_transition_and_measure_step():
    from greensword.cases import service, workflow

    assert service.action_label("file") == "立案" and service.action_label("investigate") == "开始调查取证"
    assert service.action_label("measure.seizure.extend") == "延长查封、扣押"
    assert service.action_label("measure.criminal_transfer.send") == "完成移送涉嫌犯罪"
    assert service.action_label("recusal.decide") == "作出回避决定"
    for code in [*workflow.TRANSITIONS, *service.EVENT_NAMES]:
        assert not service.action_label(code).isascii(), code
    assert service.action_label("something_new") == "something_new"


def test_case_list_pages_with_a_total(client, db, world):
    from greensword.cases import service
    from tests.factories import actor

    officer = actor(db, world, "officer-330102")
    ent = world.enterprises["330102-small"]
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    made = [service.open_case(db, officer, enterprise_id=ent.id, title=f"分页案件{i}", facts="事实", source="manual",
                              discovered_on=date(2026, 1, 1), officer_ids=offs) for i in range(55)]
    db.commit()
    login_as(client, "officer-330102")
    first = client.get("/cases")
    assert "共 55 条，第 1/2 页" in first.text and "page=2" in first.text
    second = client.get("/cases?page=2")
    assert "共 55 条，第 2/2 页" in second.text
    body = lambda r: r.text.split("<th>下一法定期限</th>")[1].split("</table>")[0]  # noqa: E731
    numbers = [c.number for c in made]
    on_first = {n for n in numbers if f">{n}</a>" in body(first)}
    on_second = {n for n in numbers if f">{n}</a>" in body(second)}
    assert len(on_first) == 50 and len(on_second) == 5 and not on_first & on_second
    assert client.get("/cases?page=0").status_code in (400, 422)
    p = service.page_cases(db, officer, q=made[0].number)
    assert p.total == 1 and p.items == [made[0]]
