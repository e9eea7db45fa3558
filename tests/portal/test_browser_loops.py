"""In the browser, on a phone-sized screen for the firm: a lead is reminded → the firm's user sees
the warning on its home page, answers with a photo → the officer accepts; a self-check with a
finding → a rectification item → reported with a photo → verified and closed by the officer."""

import pytest

from greensword.portal.demo import png
from tests.browser import browser_page, live_server, login
from tests.portal.conftest import make_lead

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_warning_answered_with_photo_and_selfcheck_to_closed_item(app, db, world, tmp_path):
    lead = make_lead(db, world)
    photo = tmp_path / "现场.png"
    photo.write_bytes(png())
    with live_server(app) as base, browser_page(**PHONE) as page:
        login(page, base, "officer-330102")
        page.goto(f"{base}/offsite/leads/{lead.id}")
        page.fill("#act-remind input[name=reason]", "请说明超标原因")
        page.click("#act-remind button")
        page.wait_for_load_state()
        assert "已提醒" in page.inner_text("h1")
        page.click("#warning-link")
        page.wait_for_load_state()
        warning_url = page.url
        assert "待企业答复" in page.inner_text("#status")

        page.context.clear_cookies()
        login(page, base, "ent-330102-key")
        page.goto(f"{base}/portal")
        page.click("#open-warnings a")
        page.wait_for_load_state()
        assert page.url == warning_url and "请说明超标原因" in page.inner_text("main")
        page.check("#answer-form input[value=explain]")
        page.fill("#answer-form textarea[name=text]", "当日锅炉启炉，附现场照片")
        page.set_input_files("#answer-form input[name=files]", str(photo))
        page.click("#answer-form button")
        page.wait_for_load_state()
        assert "企业已答复" in page.inner_text("#status")
        assert "现场.png" in page.inner_text("#answer")
        # the page fits the phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1

        page.context.clear_cookies()
        login(page, base, "officer-330102")
        page.goto(warning_url)
        assert "现场.png" in page.inner_text("#answer")
        page.click("#accept-form button")
        page.wait_for_load_state()
        assert "答复已采纳" in page.inner_text("#status")
        page.goto(f"{base}/offsite/leads/{lead.id}")
        assert "已办结" in page.inner_text("h1")

        page.context.clear_cookies()
        login(page, base, "ent-330102-key")
        page.goto(f"{base}/portal/selfchecks")
        radios = page.locator("#selfcheck-form fieldset")
        for i in range(radios.count()):
            radios.nth(i).locator("input[value=ok]").check()
        first = radios.nth(0)
        first.locator("input[value=problem]").check()
        first.locator("input[type=text], input:not([type])").first.fill("排污许可证副本未按期更新")
        page.set_input_files("#selfcheck-form input[name=files]", str(photo))
        page.click("#selfcheck-form button")
        page.wait_for_load_state()
        assert "排污许可证副本未按期更新" in page.inner_text("main")
        page.goto(f"{base}/portal/rectifications")
        page.click("#items tbody a")
        page.wait_for_load_state()
        item_url = page.url
        page.fill("#report-form textarea[name=text]", "已更新许可证副本并张贴")
        page.set_input_files("#report-form input[name=files]", str(photo))
        page.click("#report-form button")
        page.wait_for_load_state()
        assert "已报告待核查" in page.inner_text("#status")

        page.context.clear_cookies()
        login(page, base, "officer-330102")
        page.goto(item_url)
        page.fill("#verify-form input[name=note]", "核查属实")
        page.click("#verify-form button[value=close]")
        page.wait_for_load_state()
        assert "已核查销号" in page.inner_text("#status")
