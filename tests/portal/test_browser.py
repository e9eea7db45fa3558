"""The enterprise portal in the browser: a decision served electronically, opened and confirmed by
the firm, whose receipt date sets the payment deadline shown on the case."""

import pytest
from sqlalchemy import select

from greensword.cases import deadlines
from greensword.cases.models import Case
from greensword.core.timeutil import now
from tests.browser import browser_page, live_server, login
from tests.portal.conftest import decide

pytestmark = pytest.mark.browser


def test_decision_served_electronically_sets_payment_deadline(app, db, world, flow, firm_admin):
    c = decide(flow)
    db.commit()
    case_id = c.id
    with live_server(app) as base, browser_page(viewport={"width": 390, "height": 844}) as page:   # a phone
        login(page, base, "ent-330102-key-admin")
        page.goto(f"{base}/portal/documents")
        page.fill("#consent-form input[name=signer_name]", "王五")
        page.select_option("#consent-form select[name=signer_role]", "法定代表人")
        page.click("#consent-form button")
        page.wait_for_load_state()
        assert "已同意电子送达" in page.locator("#consent").inner_text()

        login(page, base, "officer-330102")
        page.goto(f"{base}/portal/service")
        assert "已同意" in page.locator(f"#case-{case_id}").inner_text()
        page.click(f"#send-{case_id}")
        page.wait_for_load_state()
        assert "待签收" in page.locator(f"#case-{case_id}").inner_text()

        login(page, base, "ent-330102-key")
        page.goto(f"{base}/portal/documents")
        page.get_by_role("link", name="行政处罚决定书").click()
        page.wait_for_load_state()
        today = now().date()
        assert f"送达日期 {today}" in page.locator("#served-on").inner_text()
        assert "行政处罚决定书" in page.locator("article.document").inner_text()
        page.click("#confirm")
        page.wait_for_load_state()
        assert "已确认签收" in page.locator("#deliveries").inner_text()

        login(page, base, "officer-330102")
        page.goto(f"{base}/cases/{case_id}")
        due = deadlines.period_end("payment", today)
        row = page.locator("#dues tr", has_text="罚款缴纳期限").inner_text()
        assert str(due) in row
        assert "电子送达" in page.content()
    db.expire_all()
    c = db.execute(select(Case).where(Case.id == case_id)).scalar_one()
    assert c.stage == "served" and c.served_on == today


def test_credit_repair_applied_with_evidence_and_approved(app, db, world, flow, tmp_path):
    from tests.portal.test_credit import closed_case

    c = closed_case(flow)                       # decided 2026-03-23: the 3-month minimum has passed
    db.commit()
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 bank receipt\n%%EOF\n")
    with live_server(app) as base, browser_page(viewport={"width": 390, "height": 844}) as page:
        login(page, base, "ent-330102-key")
        page.goto(f"{base}/portal/credit")
        form = page.locator(f"#apply-{c.id}")
        form.locator("textarea[name=explanation]").fill("罚款已缴清，废气处理设施已更换并通过验收")
        form.locator("input[name=files]").set_input_files(str(receipt))
        form.locator("button").click()                          # without the commitment: refused
        page.wait_for_load_state()
        assert "信用承诺" in page.locator("#error").inner_text()
        form = page.locator(f"#apply-{c.id}")
        form.locator("textarea[name=explanation]").fill("罚款已缴清，废气处理设施已更换并通过验收")
        form.locator("input[name=files]").set_input_files(str(receipt))
        form.locator("input[name=commitment]").check()
        form.locator("button").click()
        page.wait_for_load_state()
        assert "修复审核中" in page.locator(f"#entry-{c.id}").inner_text()

        login(page, base, "leader-330102")
        page.goto(f"{base}/portal/credit/reviews")
        row = page.locator("#pending tr", has_text=c.number)
        assert "receipt.pdf" in row.inner_text()
        row.locator("input[name=reason]").fill("已履行处罚决定并完成整改，予以修复")
        row.locator("button").click()
        page.wait_for_load_state()
        assert c.number not in page.locator("#pending").inner_text()           # no longer waiting
        page.goto(f"{base}/portal/credit/reviews?status=approved")
        assert "已信用修复" in page.locator("#done").inner_text()

        login(page, base, "ent-330102-key")
        page.goto(f"{base}/portal/credit")
        assert "已信用修复" in page.locator(f"#entry-{c.id}").inner_text()
        uscc = world.enterprises["330102-key"].uscc
        page.goto(f"{base}/disclosure/facility/{uscc}")
        assert "已信用修复" in page.locator("#decisions").inner_text()
