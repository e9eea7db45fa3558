"""Self-checks (the inspection checklist, a period per class), findings → rectification items,
reports with evidence, verification and closing, overdue escalation (CLI), a "no problem"
self-check against open exceedance leads → an off-site lead, completion per county."""

from datetime import date, timedelta

import pytest

from greensword.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from greensword.core.timeutil import now
from greensword.offsite import service as offsite
from greensword.portal import rectify, selfcheck, uploads
from greensword.portal.models.notifications import Notification
from tests.conftest import login_as
from tests.factories import actor
from tests.portal.conftest import JPEG, PNG, make_lead


def _answers(ent, problem: str | None = None):
    items = selfcheck.checklist(ent).items
    return ({i.code: ("problem" if i.code == problem else "ok") for i in items},
            {problem: "危废台账缺三月记录"} if problem else {})


def test_schedule_follows_the_class(db, world):
    key, small = world.enterprises["330102-key"], world.enterprises["330102-small"]
    assert selfcheck.period(key, date(2026, 5, 17))[:2] == (date(2026, 5, 1), date(2026, 5, 31))      # monthly
    assert selfcheck.period(small, date(2026, 5, 17))[:2] == (date(2026, 1, 1), date(2026, 6, 30))    # positive list
    world.enterprises["330102-small"].positive_list = False
    assert selfcheck.period(small, date(2026, 5, 17))[:2] == (date(2026, 4, 1), date(2026, 6, 30))    # quarterly


def test_finding_becomes_an_item_reported_verified_closed(db, world):
    firm = actor(db, world, "ent-330102-key")
    ent = world.enterprises["330102-key"]
    code = selfcheck.checklist(ent).items[2].code
    results, notes = _answers(ent, code)
    with pytest.raises(ValidationFailed) as e:                    # a problem must be described
        selfcheck.submit(db, firm, results=results, notes={}, note="", files=[uploads.Upload("a.jpg", JPEG)])
    assert e.value.code == "portal.selfcheck_no_note"
    with pytest.raises(ValidationFailed):                         # every item answered
        selfcheck.submit(db, firm, results={code: "ok"}, notes={}, note="", files=[uploads.Upload("a.jpg", JPEG)])
    sc = selfcheck.submit(db, firm, results=results, notes=notes, note="", files=[uploads.Upload("a.jpg", JPEG)])
    with pytest.raises(Conflict):                                 # once per period
        selfcheck.submit(db, firm, results=results, notes=notes, note="", files=[uploads.Upload("a.jpg", JPEG)])
    [item] = rectify.list_items(db, firm)
    assert item.source == "selfcheck" and item.source_ref == f"selfcheck:{sc.id}:{code}"
    assert not sc.contradicts_data
    off = actor(db, world, "officer-330102")
    with pytest.raises(IllegalTransition):                        # nothing reported yet
        rectify.verify(db, off, item.id, close=True)
    with pytest.raises(ValidationFailed):
        rectify.report(db, firm, item.id, "已补记台账", [])
    rectify.report(db, firm, item.id, "已补记台账", [uploads.Upload("台账.png", PNG)])
    assert item.status == "reported"
    with pytest.raises(PermissionDenied):
        rectify.verify(db, firm, item.id, close=True)
    with pytest.raises(ValidationFailed):                         # a return needs a reason
        rectify.verify(db, off, item.id, close=False)
    rectify.verify(db, off, item.id, close=False, note="照片看不清")
    assert item.status == "open"
    rectify.report(db, firm, item.id, "重新拍照", [uploads.Upload("台账2.jpg", JPEG)])
    rectify.verify(db, off, item.id, close=True, note="核查属实")
    assert item.status == "closed" and item.closed_by == "officer-330102"
    assert [r.kind for r in rectify.reports(db, item)] == ["report", "return", "report", "close"]
    c = {x.name: x for x in selfcheck.completion(db, off)}["杭州市生态环境局上城分局"]
    assert (c.due, c.done, c.with_problems) == (2, 1, 1)


def test_no_problem_against_exceedance_leads_is_a_lead(db, world):
    lead = make_lead(db, world, start=now().replace(tzinfo=None, day=1, hour=1, minute=0, second=0, microsecond=0))
    firm = actor(db, world, "ent-330102-key")
    results, notes = _answers(world.enterprises["330102-key"])
    sc = selfcheck.submit(db, firm, results=results, notes=notes, note="", files=[uploads.Upload("a.jpg", JPEG)])
    assert sc.contradicts_data
    admin = actor(db, world, "admin-330102")
    new = [x for x in offsite.list_leads(db, admin) if x.detector == "selfcheck"]
    assert len(new) == 1 and str(lead.id) in new[0].evidence["explanation"]
    assert new[0].evidence["selfcheck_id"] == sc.id


def test_a_dismissed_lead_does_not_contradict(db, world):
    lead = make_lead(db, world, confirm=False, start=now().replace(tzinfo=None, day=1, hour=1, minute=0, second=0,
                                                                   microsecond=0))
    offsite.act(db, actor(db, world, "officer-330102"), lead.id, "dismiss", reason="校准")
    results, notes = _answers(world.enterprises["330102-key"])
    sc = selfcheck.submit(db, actor(db, world, "ent-330102-key"), results=results, notes=notes, note="",
                          files=[uploads.Upload("a.jpg", JPEG)])
    assert not sc.contradicts_data


def test_other_firm_cannot_see_or_report(db, world):
    firm = actor(db, world, "ent-330102-key")
    ent = world.enterprises["330102-key"]
    item = rectify.create(db, "t", enterprise=ent, source="inspection", source_ref="inspection:1:x", kind="inspection",
                          title="问题", due_on=date(2030, 1, 1))
    other = actor(db, world, "ent-330106-key")
    with pytest.raises(PermissionDenied):
        rectify.get_item(db, other, item.id)
    with pytest.raises(PermissionDenied):
        rectify.report(db, other, item.id, "x", [uploads.Upload("a.jpg", JPEG)])
    assert rectify.list_items(db, other) == [] and rectify.list_items(db, firm) == [item]
    with pytest.raises(PermissionDenied):
        rectify.verify(db, actor(db, world, "officer-330203"), item.id, close=True)


def test_escalate_cli_flags_overdue_once_and_notifies(cli, db, world):
    ent = world.enterprises["330102-key"]
    rectify.create(db, "t", enterprise=ent, source="inspection", source_ref="inspection:9:a", kind="inspection",
                   title="废水排放口不规范", due_on=now().date() - timedelta(days=3))
    rectify.create(db, "t", enterprise=ent, source="inspection", source_ref="inspection:9:b", kind="inspection",
                   title="未到期", due_on=now().date() + timedelta(days=3))
    db.commit()
    r = cli("portal", "escalate")
    assert r.exit_code == 0, r.output
    assert "升级督办 1 条" in r.output and "废水排放口不规范" in r.output
    assert "升级督办 0 条" in cli("portal", "escalate").output            # once
    db.expire_all()
    titles = [n.title for n in db.query(Notification).filter(Notification.title.like("整改逾期%"))]
    assert len(titles) == 2                                               # the firm and the county


def test_case_correction_order_becomes_an_item(db, world, flow):
    from tests.portal.conftest import decide

    c = decide(flow)
    created = rectify.sync_orders(db, "t", [c.enterprise_id])
    items = rectify.list_items(db, actor(db, world, "ent-330102-key"))
    assert created >= 1 and any(i.kind == "correction" and i.case_id == c.id for i in items)
    assert rectify.sync_orders(db, "t", [c.enterprise_id]) == 0          # idempotent


def test_pages_home_selfcheck_and_notifications(client, db, world):
    login_as(client, "ent-330102-key")
    r = client.get("/portal")
    assert r.status_code == 200 and "环保良好企业" in r.text and "自动监测" in r.text and "锅炉排口" in r.text
    ent = world.enterprises["330102-key"]
    items = selfcheck.checklist(ent).items
    data = {f"result_{i.code}": "ok" for i in items}
    data[f"result_{items[0].code}"] = "problem"
    r = client.post("/portal/selfchecks", data=data, files=[("files", ("p.jpg", JPEG, "image/jpeg"))])
    assert r.status_code == 422 and "须说明问题" in r.text
    data[f"note_{items[0].code}"] = "许可证已过期"
    r = client.post("/portal/selfchecks", data=data, files=[("files", ("p.jpg", JPEG, "image/jpeg"))])
    assert r.status_code == 200 and "自查记录" in r.text and "许可证已过期" in r.text
    r = client.get("/portal/rectifications")
    assert "自查发现问题" in r.text
    r = client.get("/portal/notifications")
    assert "新的整改事项" in r.text
    client.post("/logout")
    login_as(client, "officer-330102")
    r = client.get("/portal")
    assert r.status_code == 200 and "本期自查完成情况" in r.text and "杭州市生态环境局上城分局" in r.text
    assert "提交自查" in client.get("/portal/notifications").text


def test_photo_files_show_as_previews_to_those_who_may_see_them(client, db, world):
    from io import BytesIO

    from PIL import Image

    from tests.core.test_thumbs import pdf, photo

    firm = actor(db, world, "ent-330102-key")
    big = photo((2000, 1500))
    doc = pdf((600, 800, (255, 255, 255)))
    results, notes = _answers(world.enterprises["330102-key"])
    sc = selfcheck.submit(db, firm, results=results, notes=notes, note="",
                          files=[uploads.Upload("车间.jpg", big), uploads.Upload("台账.jpg", JPEG),
                                 uploads.Upload("监测报告.pdf", doc)])
    db.commit()
    sha = {f["name"]: f["sha256"] for f in sc.files}
    base = f"/portal/selfchecks/{sc.id}/files"
    for who in ("ent-330102-key", "officer-330102"):
        login_as(client, who)
        page = client.get(f"/portal/selfchecks/{sc.id}").text
        assert f'<img src="{base}/{sha["车间.jpg"]}?thumb=1"' in page, who
        r = client.get(f"{base}/{sha['车间.jpg']}?thumb=1")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert Image.open(BytesIO(r.content)).size == (320, 240) and len(r.content) < len(big) / 5
        assert client.get(f"{base}/{sha['车间.jpg']}").content == big
        assert f'<img src="{base}/{sha["监测报告.pdf"]}?thumb=1"' in page, who
        r = client.get(f"{base}/{sha['监测报告.pdf']}?thumb=1")                # the PDF's first page
        assert r.headers["content-type"] == "image/jpeg" and Image.open(BytesIO(r.content)).size == (240, 320)
        assert client.get(f"{base}/{sha['监测报告.pdf']}").content == doc
    assert client.get(f"{base}/{sha['台账.jpg']}?thumb=1").headers["content-type"].startswith("image/svg+xml")
    login_as(client, "ent-330106-key")
    assert client.get(f"{base}/{sha['车间.jpg']}?thumb=1").status_code in (403, 404)
    assert client.get(f"{base}/{sha['监测报告.pdf']}?thumb=1").status_code in (403, 404)
