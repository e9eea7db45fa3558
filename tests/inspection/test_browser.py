"""An officer on a 390×844 phone walks through an on-site inspection: checklist, GPS fix (mocked
position), 保存 with visible feedback and an offline draft restored on reload, photo and PDF
upload, the evidence viewer, drawn signatures of two officers and the enterprise representative,
submit; afterwards the record cannot be edited. A phone that refuses location gets a clear message."""

import os
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from greensword.inspection import service
from greensword.inspection.models import Evidence, Record, Task
from greensword.registry.models import Officer
from tests.browser import browser_page, live_server, login
from tests.factories import actor

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
HANGZHOU = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12}


def _draw(page, wiggle: int) -> None:
    """A signature: a few strokes across the pad with the pointer."""
    box = page.locator("#pad").bounding_box()
    x0, y0 = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x0 + i * 12, y0 + (wiggle if i % 2 else -wiggle), steps=2)
    page.mouse.up()
    page.mouse.move(x0 + 30, y0 + 30)
    page.mouse.down()
    page.mouse.move(x0 + 200, y0 + 35, steps=5)
    page.mouse.up()


def _task(db, world, county):
    a = actor(db, world, "leader-330102")
    plan = service.create_plan(db, a, agency_id=county.id, name="2026年一季度", period_start=date(2026, 1, 1),
                               period_end=date(2026, 3, 31), teams=2)
    service.draw(db, a, plan.id, "browser seed")
    db.commit()
    return db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()


def test_officer_completes_task_on_phone(app, db, world, county, tmp_path):
    task = _task(db, world, county)
    names = [db.get(Officer, i).name for i in task.officer_ids]
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2000 + b"\xff\xd9")
    pdf = tmp_path / "监测报告.pdf"
    from tests.core.test_thumbs import pdf as make_pdf

    pdf.write_bytes(make_pdf((600, 800, (255, 255, 255))))

    with live_server(app) as base, browser_page(**PHONE, geolocation=HANGZHOU, permissions=["geolocation"]) as page:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, base, "officer-330102")
        page.goto(f"{base}/inspection/tasks")
        page.click(f"a[href='/inspection/tasks/{task.id}']")
        assert page.locator("h1").inner_text() == task.enterprise.name
        assert page.locator("header.topbar").bounding_box()["height"] < 60      # menu folded on the phone
        for radio in page.locator("input[type=radio][value=ok]").all():
            radio.check()
        page.fill("textarea[name=findings]", "现场检查未发现环境违法问题。")
        # the network drops before 保存: the draft survives a reload
        page.reload()
        assert page.locator("#draft-banner").is_visible() and "已恢复本机草稿" in page.inner_text("#draft-banner")
        assert page.input_value("textarea[name=findings]") == "现场检查未发现环境违法问题。"
        # GPS fix with its accuracy, then 保存: the page stays, the answer is shown
        page.click("#gps")
        expect(page.locator("#gps_lat")).not_to_have_value("")
        assert "纬度 30.274100，经度 120.155100，精度 ±12 米" in page.inner_text("#gps-status")
        page.click("#save")
        expect(page.locator("#save-status")).to_have_text(re.compile(r"^已保存 \d\d:\d\d:\d\d$"))
        assert page.locator("#save-status").is_visible() and not page.locator("#draft-banner").is_visible()
        # a refused save keeps its reason on screen
        fix = page.input_value("#gps_lat")
        page.evaluate("document.getElementById('gps_lat').value = '123'")
        page.click("#save")
        expect(page.locator("#save-status")).to_have_text(re.compile("^保存失败"))
        assert "纬度 123.0 超出" in page.inner_text("#save-status")
        page.evaluate(f"document.getElementById('gps_lat').value = '{fix}'")
        page.click("#save")
        expect(page.locator("#save-status")).to_have_text(re.compile("^已保存"))
        # evidence: hashed in the browser, uploaded in chunks, then shown as thumbnails
        with page.expect_navigation():
            page.set_input_files("#file", [str(photo), str(pdf)])
        assert "现场照片.jpg" in page.inner_text("#evidence") and "监测报告.pdf" in page.inner_text("#evidence")
        page.click("#evidence button.thumb")
        assert page.locator("#viewer").is_visible() and page.inner_text("#viewer-name") == "现场照片.jpg"
        expect(page.locator("#viewer-img")).to_have_attribute("src", re.compile(r"/evidence/\d+$"))
        page.click("#viewer-close")
        assert not page.locator("#viewer").is_visible()
        pdf_href = page.get_attribute("#evidence a.thumb.file", "href")
        # the PDF shows its first page (drawn on the server), the photo that cannot be decoded 无法预览
        preview = page.locator("#evidence a.thumb.page img")
        expect(preview).to_have_attribute("src", pdf_href + "?thumb=1")
        for _ in range(100):                                  # loaded lazily: poll (wait_for_function is an eval, CSP)
            if preview.evaluate("i => i.complete && i.naturalWidth > 0"):
                break
            page.wait_for_timeout(100)
        assert preview.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [240, 320]
        if os.environ.get("GREENSWORD_SCREENSHOTS"):
            page.locator("#evidence").screenshot(path=os.path.join(os.environ["GREENSWORD_SCREENSHOTS"], "evidence.png"))
        r = page.request.get(base + pdf_href)
        assert r.status == 200 and r.headers["content-type"] == "application/pdf"
        # an empty pad is refused in the browser, then the three drawn signatures
        page.click("#sign")
        assert "签名框为空" in page.inner_text("#sign-status")
        for i, (role, name) in enumerate((("officer", names[0]), ("officer", names[1]), ("enterprise", "企业代表丙"))):
            page.select_option("#sign-role", role)
            if role == "officer":
                page.select_option("#sign-officer", name)
            else:
                page.fill("#sign-name", name)
            _draw(page, 10 + 5 * i)
            with page.expect_navigation():
                page.click("#sign")
        assert page.locator("#signatures li").count() == 3
        assert page.locator("#signatures img.sig").count() == 3
        assert all(page.evaluate("[...document.querySelectorAll('#signatures img.sig')].map(i => i.naturalWidth)"))
        assert "精度 ±12 米" in page.inner_text("#gps-stored")
        page.click("#submit")
        page.wait_for_load_state()
        assert "不可修改" in page.locator("#locked").inner_text()
        assert page.locator("#save").is_disabled() and page.locator("textarea[name=findings]").is_disabled()
        assert page.locator("#file").count() == 0 and page.locator("#pad").count() == 0
        assert page.locator("#signatures img.sig").count() == 3               # shown on the submitted record
        # even a hand-made request cannot change it
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        r = page.request.post(f"{base}/inspection/tasks/{task.id}/record",
                              form={"findings": "篡改", "item-permit": "problem"}, headers={"X-CSRF-Token": token})
        assert r.status == 409
        assert not errors, errors

    db.expire_all()
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    assert rec.status == "submitted" and rec.findings == "现场检查未发现环境违法问题。"
    assert (rec.gps_lat, rec.gps_lon, rec.gps_accuracy_m) == (30.2741, 120.1551, 12.0) and rec.gps_captured_at
    assert [s["role"] for s in rec.signatures] == ["officer", "officer", "enterprise"]
    assert all(len(s["sha256"]) == 64 and s["bytes"] > 0 for s in rec.signatures)
    ev = db.execute(select(Evidence).where(Evidence.task_id == task.id).order_by(Evidence.id)).scalars().all()
    assert [e.mime for e in ev] == ["image/jpeg", "application/pdf"] and ev[0].size == photo.stat().st_size


def test_location_refused_shows_a_clear_message(app, db, world, county):
    task = _task(db, world, county)
    with live_server(app) as base, browser_page(**PHONE) as page:          # no geolocation permission
        login(page, base, "officer-330102")
        page.goto(f"{base}/inspection/tasks/{task.id}")
        page.click("#gps")
        expect(page.locator("#gps-status")).to_have_class("error")
        assert "定位被拒绝" in page.inner_text("#gps-status")
        assert page.input_value("#gps_lat") == ""
