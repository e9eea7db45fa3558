"""An officer on a phone walks through an on-site inspection: checklist, photo upload,
signatures, submit; afterwards the record cannot be edited."""

from datetime import date

import pytest
from sqlalchemy import select

from greensword.inspection import service
from greensword.inspection.models import Evidence, Record, Task
from tests.browser import browser_page, live_server, login
from tests.factories import actor

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def test_officer_completes_task_on_phone(app, db, world, county, tmp_path):
    a = actor(db, world, "leader-330102")
    plan = service.create_plan(db, a, agency_id=county.id, name="2026年一季度", period_start=date(2026, 1, 1),
                               period_end=date(2026, 3, 31), teams=2)
    service.draw(db, a, plan.id, "browser seed")
    db.commit()
    task = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2000 + b"\xff\xd9")

    with live_server(app) as base, browser_page(**PHONE) as page:
        login(page, base, "officer-330102")
        page.goto(f"{base}/inspection/tasks")
        page.click(f"a[href='/inspection/tasks/{task.id}']")
        assert page.locator("h1").inner_text() == task.enterprise.name
        for radio in page.locator("input[type=radio][value=ok]").all():
            radio.check()
        page.fill("textarea[name=findings]", "现场检查未发现环境违法问题。")
        page.fill("input[name=location]", "30.2741,120.1551")
        page.click("#save")
        page.wait_for_load_state()
        # photo: hashed in the browser, uploaded in chunks, then the page reloads with it listed
        with page.expect_navigation():
            page.set_input_files("#file", str(photo))
        assert "现场照片.jpg" in page.locator("#evidence").inner_text()
        for role, name in (("officer", "执法员甲"), ("officer", "执法员乙"), ("enterprise", "企业代表丙")):
            page.select_option("select[name=role]", role)
            page.fill("form.inline input[name=name]", name)
            page.click("#sign")
            page.wait_for_load_state()
        assert page.locator("#signatures li").count() == 3
        page.click("#submit")
        page.wait_for_load_state()
        assert "不可修改" in page.locator("#locked").inner_text()
        assert page.locator("#save").is_disabled() and page.locator("textarea[name=findings]").is_disabled()
        assert page.locator("#file").count() == 0
        # even a hand-made request cannot change it
        token = page.locator("meta[name=csrf-token]").get_attribute("content")
        r = page.request.post(f"{base}/inspection/tasks/{task.id}/record",
                              form={"findings": "篡改", "item-permit": "problem"}, headers={"X-CSRF-Token": token})
        assert r.status == 409

    db.expire_all()
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    assert rec.status == "submitted" and rec.findings == "现场检查未发现环境违法问题。"
    ev = db.execute(select(Evidence).where(Evidence.task_id == task.id)).scalars().all()
    assert len(ev) == 1 and ev[0].size == photo.stat().st_size
