"""A public complaint → targeted task → on-site record → reply seen by the complainant with the
tracking code, in the browser."""

import pytest
from sqlalchemy import select

from greensword.complaint.models import Complaint
from greensword.inspection import service as inspection
from greensword.inspection.models import Task
from tests.browser import browser_page, live_server, login
from tests.factories import actor, signature_png

pytestmark = pytest.mark.browser


def test_public_complaint_to_task_to_record_to_reply(app, db, world):
    ent = world.enterprises["330102-key"]
    with live_server(app) as base, browser_page(viewport={"width": 1280, "height": 900}) as page:
        page.goto(f"{base}/public/complaint")
        page.select_option("select[name=agency_id]", str(world.agencies["330102"].id))
        page.fill("input[name=enterprise_name]", ent.name)
        page.select_option("select[name=matter]", "air")
        page.fill("textarea[name=content]", "<script>alert(1)</script>烟囱冒黑烟")
        page.check("input[name=anonymous]")
        page.click("form button[type=submit]")
        assert "脚本" in page.locator("[role=alert]").inner_text()
        page.fill("textarea[name=content]", "烟囱夜里冒黑烟，气味刺鼻，已经持续两周")
        page.click("form button[type=submit]")
        code = page.locator("#tracking-code").inner_text()

        login(page, base, "leader-330102")
        db.expire_all()
        cid = db.execute(select(Complaint.id).where(Complaint.code == code)).scalar_one()
        page.goto(f"{base}/complaint/{cid}")
        assert "匿名" in page.locator("#identity").inner_text()
        page.click("#decide button")
        page.wait_for_load_state()
        page.fill("#assign input[name=handlers]", "officer-330102")
        page.click("#assign button")
        page.wait_for_load_state()
        page.check(f"#task input[name=officer][value='{world.officers['330102-0'].id}']")   # one ticked in the picker
        page.click("#task button")
        page.wait_for_load_state()
        assert "至少 2 名" in page.locator("[role=alert]").inner_text()      # refused with the reason
        page.goto(f"{base}/complaint/{cid}")
        for key in ("330102-0", "330102-1"):
            page.check(f"#task input[name=officer][value='{world.officers[key].id}']")
        page.click("#task button")
        page.wait_for_load_state()
        assert "核查中" in page.locator("#status").inner_text()

        db.expire_all()
        task = db.execute(select(Task).where(Task.source_ref == code)).scalar_one()
        off = actor(db, world, "officer-330102")
        items = {i.code: "ok" for i in inspection.checklist_for(task.enterprise.industry_code).items}
        inspection.save_record(db, off, task, checklist=items, violation=True, findings="除尘设施未运行，烟气黑度超标")
        for role, name in (("officer", "甲"), ("officer", "乙"), ("enterprise", "丙")):
            inspection.sign(db, off, task, role=role, name=name, png=signature_png())
        inspection.submit(db, off, task)
        db.commit()

        page.goto(f"{base}/complaint/{cid}")
        page.check("#conclude input[name=substantiated]")
        page.fill("#conclude textarea[name=findings]", "现场检查发现除尘设施未运行，举报属实")
        page.click("#conclude button")
        page.wait_for_load_state()
        page.fill("#reply textarea[name=text]", "您举报的问题经现场检查属实，我局已责令整改并立案查处。")
        page.click("#reply button")
        page.wait_for_load_state()
        assert "已答复" in page.locator("#status").inner_text()

        page.context.clear_cookies()
        page.goto(f"{base}/public/complaint/track?code={code}")
        assert "我局已责令整改并立案查处" in page.locator("#reply").inner_text()
        assert "officer-330102" not in page.content()
    assert task.status == "submitted"
