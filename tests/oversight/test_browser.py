"""An audit from selection to a closed recommendation after 回头看, in the browser."""

import pytest

from greensword.oversight import service
from tests.browser import browser_page, live_server, login
from tests.factories import actor
from tests.oversight.test_oversight import YEAR, _case

pytestmark = pytest.mark.browser


def test_audit_selection_to_closed_recommendation(app, db, world):
    _case(db, world)
    db.commit()
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        login(page, base, "leader-330100")
        page.goto(f"{base}/oversight")
        page.fill("#new-plan input[name=seed]", "公开摇号 5521")
        page.click("#new-plan button")
        page.wait_for_load_state()
        page.click("#select button")
        page.wait_for_load_state()
        page.click("#unit-330102")
        page.wait_for_load_state()
        unit_url = page.url
        page.fill("#team input[name=usernames]", "reviewer-330100,officer-330102")
        page.click("#team button")
        page.wait_for_load_state()
        assert "不得来自被稽查单位" in page.locator("[role=alert]").inner_text()
        page.goto(unit_url)
        page.fill("#team input[name=usernames]", "reviewer-330100,evaluator-330100")
        page.click("#team button")
        page.wait_for_load_state()
        page.click("#pull button")
        page.wait_for_load_state()
        page.click("#file-1 summary")
        page.fill("#file-1 input[name=d_filing_time]", "2")
        page.fill("#file-1 input[name=note]", "立案审批表缺日期")
        page.click("#file-1 button")
        page.wait_for_load_state()
        page.fill("#finding input[name=area]", "案件办理")
        page.select_option("#finding select[name=grade]", "improvement")
        page.fill("#finding textarea[name=text]", "立案审批表缺日期")
        page.fill("#finding textarea[name=recommendation]", "逐卷补正立案审批表")
        page.click("#finding button")
        page.wait_for_load_state()
        page.click("#feedback button")
        page.wait_for_load_state()
        assert "已反馈整改中" in page.locator("#status").inner_text()

        page.context.clear_cookies()
        login(page, base, "leader-330102")
        page.goto(unit_url)
        page.fill("#plan-1 input[name=text]", "成立专班逐卷补正")
        page.click("#plan-1 button")
        page.wait_for_load_state()
        page.fill("#report-1 input[name=text]", "已全部补正")
        page.click("#report-1 button")
        page.wait_for_load_state()

        page.context.clear_cookies()
        login(page, base, "leader-330100")
        page.goto(unit_url)
        page.fill("#followup-1 input[name=note]", "回头看现场核实，已补正到位")
        page.click("#followup-1 button")
        page.wait_for_load_state()
        assert "已闭环" in page.locator("#status").inner_text()
        assert "已销号" in page.locator("#findings").inner_text()
    db.expire_all()
    rows = service.statistics(db, actor(db, world, "admin-330000"), year=YEAR)
    row = next(r for r in rows if r["agency"].endswith("上城分局"))
    assert (row["closed"], row["status"]) == (1, "closed")
