"""From an on-site record's violation to a served decision, in the browser."""

from datetime import date

import pytest
from sqlalchemy import select

from greensword.cases.documents import text_of
from greensword.cases.models import Case, CaseDocument
from greensword.cases.service import document_bytes
from greensword.inspection import service as inspection
from greensword.inspection.models import Task
from tests.browser import browser_page, live_server, login
from tests.factories import actor, signature_png

pytestmark = pytest.mark.browser


def _violation_record(db, world, county):
    lead = actor(db, world, "leader-330102")
    off = actor(db, world, "officer-330102")
    plan = inspection.create_plan(db, lead, agency_id=county.id, name="p", period_start=date(2026, 10, 1),
                                  period_end=date(2026, 12, 31), teams=2)
    inspection.draw(db, lead, plan.id, "case browser seed")
    task = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()
    items = [i.code for i in inspection.checklist_for(task.enterprise.industry_code).items]
    inspection.save_record(db, off, task, checklist={c: "ok" for c in items}, violation=True,
                           findings="二氧化硫排放浓度超过排放标准0.3倍")
    for role, name in (("officer", "甲"), ("officer", "乙"), ("enterprise", "丙")):
        inspection.sign(db, off, task, role=role, name=name, png=signature_png())
    inspection.submit(db, off, task)
    db.commit()
    return task


def test_case_from_onsite_record_to_served_decision(app, db, world, county):
    task = _violation_record(db, world, county)
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        # 查处分离: the officer investigates, the leader files and decides, the reviewer reviews
        def as_(user, case_url=None):
            login(page, base, user)
            if case_url:
                page.goto(case_url)
                page.wait_for_load_state()

        def step(action, **fields):
            for name, value in fields.items():
                if value is True:
                    page.check(f"#act-{action} input[name={name}]")
                else:
                    page.fill(f"#act-{action} input[name={name}]", value)
            page.click(f"#act-{action} button")
            page.wait_for_load_state()

        def ok():
            assert not page.locator("#error").count(), page.locator("#error").inner_text()

        as_("officer-330102")
        page.goto(f"{base}/cases")
        page.locator("button[id^=open-ref-]").first.click()
        page.wait_for_load_state()
        url = page.url
        assert "线索" in page.locator("h1").inner_text()
        page.select_option("select[name=violation_code]", "AIR-99-2")
        page.click("#save-facts")
        page.wait_for_load_state()
        as_("leader-330102", url)
        step("file")
        ok()
        as_("officer-330102", url)
        step("investigate")
        page.click("#compute")
        page.wait_for_load_state()
        assert "建议罚款" in page.content()
        step("submit_review")
        ok()
        assert not page.locator("#act-approve_review").count()      # the investigator cannot review
        as_("reviewer-330102", url)
        step("approve_review")
        ok()
        as_("officer-330102", url)
        step("notify")
        ok()
        as_("reviewer-330102", url)
        # 法制审核 before the statement period ends is refused, with the reason shown
        step("legal_review", qualification="A20203301000123")
        assert "陈述申辩期限" in page.locator("#error").inner_text()
        step("legal_review", qualification="A20203301000123", defence_received=True, hearing_waived=True)
        ok()
        as_("leader-330102", url)
        step("discuss", participants="局长,副局长,法规科长", conclusion="同意拟处罚意见")
        ok()
        step("decide")
        ok()
        as_("officer-330102", url)
        step("serve")
        ok()
        assert "已送达" in page.locator("h1").inner_text()
        docs = page.locator("#documents").inner_text()
        for title in ("行政处罚事先（听证）告知书", "行政处罚决定书", "责令改正违法行为决定书", "合规指导书", "信用修复告知书",
                      "重大案件集体讨论记录"):
            assert title in docs

    db.expire_all()
    c = db.execute(select(Case).where(Case.enterprise_id == task.enterprise_id)).scalar_one()
    assert c.stage == "served" and c.fine == c.fine_proposed and c.fine > 0
    decision = db.execute(select(CaseDocument).where(CaseDocument.case_id == c.id,
                                                     CaseDocument.kind == "decision")).scalar_one()
    assert decision.signed
    text = text_of(document_bytes(decision))
    assert f"{c.fine:,}" in text and task.enterprise.name in text and "二氧化硫" in text
