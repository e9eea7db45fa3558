import re
from datetime import date

import pytest

from greensword.complaint import service
from greensword.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from tests.conftest import login_as
from tests.factories import actor

PNG = bytes([137, 80, 78, 71, 13, 10, 26, 10]) + b"\0" * 32


@pytest.mark.parametrize(("received", "want"), [
    (date(2026, 9, 16), date(2026, 10, 8)),    # 15th day is National Day: moves to the first working day
    (date(2026, 9, 15), date(2026, 9, 30)),    # look-alike one day earlier ends before the holiday
    (date(2026, 11, 2), date(2026, 11, 17)),   # ordinary weekday
    (date(2026, 12, 17), date(2027, 1, 4)),    # 2027-01-01 holiday (override file), then the weekend: Monday
])
def test_accept_period_at_holiday_edges(received, want):
    assert service.accept_due(received) == want


def test_reply_period_and_extension_limit():
    assert service.reply_due(date(2026, 8, 2)) == date(2026, 10, 8)         # day 60 is 10-01
    assert service.reply_due(date(2026, 8, 1)) == date(2026, 9, 30)
    assert service.reply_due(date(2026, 8, 2), 30) == date(2026, 11, 2)    # 10-31 Saturday → Monday


def _public(db, world, **kw):
    args = dict(agency_id=world.agencies["330102"].id, enterprise_name=world.enterprises["330102-key"].name,
                address="上城路1号", matter="water", content="夜间有污水从暗管排入河道，河水发黑发臭", anonymous=False,
                name="王先生", phone="13800001111")
    args.update(kw)
    return service.submit_public(db, **args)


@pytest.mark.db
def test_public_intake_matches_enterprise_and_detects_duplicates(db, world):
    c1 = _public(db, world)
    assert re.fullmatch(r"TS[A-Z0-9]{10}", c1.code) and c1.enterprise_id == world.enterprises["330102-key"].id
    c2 = _public(db, world, anonymous=True, name="", phone="", content="同一家企业半夜偷排污水，河里都是泡沫")
    assert c2.duplicate_of == c1.id
    c3 = _public(db, world, matter="noise", content="车间夜间生产噪声很大影响居民休息")     # other matter: not a duplicate
    assert c3.duplicate_of is None
    other = _public(db, world, enterprise_name=world.enterprises["330102-small"].name)  # other enterprise
    assert other.duplicate_of is None


@pytest.mark.parametrize(("kw", "code"), [
    ({"content": "<script>alert(1)</script>偷排污水严重"}, "complaint.script_rejected"),
    ({"content": "x" * 2001}, "complaint.too_long"),
    ({"content": "太臭了"}, "complaint.content_too_short"),
    ({"name": "", "phone": ""}, "complaint.identity_required"),
    ({"matter": "smell"}, "complaint.bad_matter"),
    ({"attachments": [service.Attachment("a.png", "image/png", b"GIF89a" + b"\0" * 10)]}, "complaint.file_broken"),
    ({"attachments": [service.Attachment("a.exe", "application/x-msdownload", b"MZ")]}, "complaint.file_type"),
])
def test_bad_public_input_refused_and_nothing_stored(db, world, kw, code):
    from greensword.complaint.models import Complaint

    with pytest.raises(ValidationFailed) as e:
        _public(db, world, **kw)
    assert e.value.code == code
    assert db.query(Complaint).count() == 0


JPEG = bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b"\0" * 32
PDF = b"%PDF-1.7\n" + b"\0" * 32


@pytest.mark.parametrize(("declared", "data", "stored"), [
    ("image/jpeg", PNG, "image/png"),                   # a browser naming a PNG wrongly
    ("application/octet-stream", PDF, "application/pdf"),
    ("", JPEG, "image/jpeg"),
])
def test_attachment_type_is_told_from_its_bytes(db, world, declared, data, stored):
    c = _public(db, world, attachments=[service.Attachment("附件", declared, data)])
    assert c.attachments[0]["mime"] == stored


def test_a_type_core_filetypes_knows_but_the_rules_do_not_list_is_refused(db, world):
    gif = b"GIF89a" + b"\0" * 10
    with pytest.raises(ValidationFailed) as e:
        _public(db, world, attachments=[service.Attachment("a.gif", "image/gif", gif)])
    assert e.value.code == "complaint.file_type" and "JPEG 图片、PNG 图片、PDF" in e.value.message


def test_rules_list_only_types_the_sniffer_names():
    from pydantic import ValidationError

    form = service.rules().public_form.model_dump()
    with pytest.raises(ValidationError):
        service.PublicForm(**{**form, "allowed_types": ["image/jpeg", "application/zip"]})


def test_good_attachment_kept(db, world):
    c = _public(db, world, attachments=[service.Attachment("现场.png", "image/png", PNG)])
    assert c.attachments[0]["size"] == len(PNG)
    assert service.attachment_bytes(c.attachments[0]["sha256"]) == PNG


def test_photo_attachment_preview_on_the_complaint_page(client, db, world):
    from tests.core.test_thumbs import pdf, photo

    big = photo((1600, 1200), fmt="PNG")
    doc = pdf((842, 595, (255, 255, 255)))
    c = _public(db, world, attachments=[service.Attachment("现场.png", "image/png", big),
                                        service.Attachment("举报材料.pdf", "application/pdf", doc),
                                        service.Attachment("坏文件.pdf", "application/pdf", b"%PDF-1.7\n%%EOF")])
    db.commit()
    url, pdf_url, bad_url = (f"/complaint/{c.id}/attachments/{a['sha256']}" for a in c.attachments)
    login_as(client, "leader-330102")
    page = client.get(f"/complaint/{c.id}").text
    assert f'<img src="{url}?thumb=1"' in page and f'<img src="{pdf_url}?thumb=1"' in page
    r = client.get(f"{url}?thumb=1")
    assert r.headers["content-type"] == "image/jpeg" and len(r.content) < len(big) / 10
    assert client.get(url).content == big
    r = client.get(f"{pdf_url}?thumb=1")                                     # the PDF's first page
    assert r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"
    assert client.get(pdf_url).content == doc
    r = client.get(f"{bad_url}?thumb=1")
    assert r.headers["content-type"].startswith("image/svg+xml") and "无法预览" in r.text
    login_as(client, "leader-330106")
    assert client.get(f"{url}?thumb=1").status_code == 403
    assert client.get(f"{pdf_url}?thumb=1").status_code == 403


@pytest.mark.db
def test_identity_only_for_leader_and_handlers(db, world):
    c = _public(db, world)
    leader, officer = actor(db, world, "leader-330102"), actor(db, world, "officer-330102")
    other_county = actor(db, world, "leader-330106")
    assert service.identity(db, leader, c).phone == "13800001111"
    with pytest.raises(PermissionDenied):
        service.identity(db, officer, c)
    with pytest.raises(PermissionDenied):
        service.get(db, other_county, c.id)
    with pytest.raises(PermissionDenied):
        service.get(db, actor(db, world, "ent-330102-key"), c.id)
    service.decide(db, leader, c.id, decision="accept")
    service.assign(db, leader, c.id, agency_id=world.agencies["330102"].id, handlers=["officer-330102"])
    assert service.identity(db, officer, c).name == "王先生"
    assert "13800001111" not in str(service.public_view(db, c.code))


def test_illegal_steps_say_why(db, world):
    c = _public(db, world)
    leader = actor(db, world, "leader-330102")
    with pytest.raises(IllegalTransition, match="已登记待受理"):
        service.reply(db, leader, c.id, text="已处理")
    with pytest.raises(ValidationFailed, match="理由"):
        service.decide(db, leader, c.id, decision="reject")
    service.decide(db, leader, c.id, decision="accept")
    with pytest.raises(ValidationFailed, match="不属于承办单位"):
        service.assign(db, leader, c.id, agency_id=world.agencies["330102"].id, handlers=["officer-330106"])
    with pytest.raises(ValidationFailed, match="30"):
        service.extend(db, leader, c.id, days=31, reason="情况复杂")
    with pytest.raises(IllegalTransition):
        service.award(db, leader, c.id, 500)


def test_complaint_to_task_to_record_to_reply_seen_with_tracking_code(client, db, world):
    r = client.post("/public/complaint", data={
        "agency_id": world.agencies["330102"].id, "enterprise_name": world.enterprises["330102-key"].name,
        "address": "上城路1号", "matter": "air", "content": "烟囱夜里冒黑烟，气味刺鼻，持续两周", "anonymous": "true"},
        files=[("files", ("photo.png", PNG, "image/png"))])
    assert r.status_code == 200, r.text
    code = re.search(r'id="tracking-code">(TS\w+)<', r.text).group(1)
    bad = client.post("/public/complaint", data={"agency_id": world.agencies["330102"].id, "matter": "air",
                                                 "content": "<script>x</script>冒黑烟", "anonymous": "true"})
    assert bad.status_code == 422 and "脚本" in bad.text
    assert "已登记待受理" in client.get(f"/public/complaint/track?code={code}").text

    login_as(client, "leader-330102")
    cid = service.public_view(db, code) and db.execute(
        __import__("sqlalchemy").text("select id from complaint where code=:c"), {"c": code}).scalar_one()
    client.post(f"/complaint/{cid}/decide", data={"decision": "accept"})
    client.post(f"/complaint/{cid}/assign", data={"agency_id": world.agencies["330102"].id,
                                                  "handlers": "officer-330102"})
    ids = f"{world.officers['330102-0'].id},{world.officers['330102-1'].id}"
    r = client.post(f"/inspection/from-complaint/{cid}", data={"officer_ids": ids})
    assert r.status_code == 200 and "定向检查任务" in r.text
    client.post("/logout")

    login_as(client, "officer-330102")
    from greensword.inspection import service as inspection
    from greensword.inspection.models import Task

    db.expire_all()
    task = db.query(Task).filter(Task.source_ref == code).one()
    off = actor(db, world, "officer-330102")
    inspection.save_record(db, off, task, checklist={}, findings="锅炉除尘设施未运行，烟气黑度超标", violation=True)
    db.commit()
    r = client.post(f"/complaint/{cid}/conclude", data={"substantiated": "true", "findings": "除尘设施未运行，已立案"})
    assert r.status_code == 200
    r = client.post(f"/complaint/{cid}/reply", data={"text": "经查属实，已责令改正并立案查处。"})
    assert "已答复" in r.text
    client.post("/logout")

    r = client.get(f"/public/complaint/track?code={code}")
    assert "经查属实，已责令改正并立案查处。" in r.text and "officer" not in r.text
    client.post("/public/complaint/rate", data={"code": code, "satisfaction": "satisfied"})
    assert "满意" in client.get(f"/public/complaint/track?code={code}").text
    assert client.post("/public/complaint/rate", data={"code": code, "satisfaction": "satisfied"},
                       headers={"accept": "application/json"}).status_code == 409


@pytest.mark.db
def test_statistics_per_unit(db, world):
    leader = actor(db, world, "leader-330102")
    on_time = _public(db, world, received_on=date(2026, 3, 2))
    service.decide(db, leader, on_time.id, decision="accept", on=date(2026, 3, 5))
    service.assign(db, leader, on_time.id, agency_id=world.agencies["330102"].id, handlers=["officer-330102"])
    service.conclude(db, leader, on_time.id, substantiated=True, findings="属实", on=date(2026, 4, 1),
                     method="offsite")
    service.reply(db, leader, on_time.id, text="已处理", on=date(2026, 4, 2))
    late = _public(db, world, matter="noise", content="夜间施工噪声扰民严重", received_on=date(2026, 3, 2))
    service.decide(db, leader, late.id, decision="accept", on=date(2026, 3, 30))          # after 15 days
    late_reply = _public(db, world, matter="solid", content="厂外空地堆放废料桶，雨后有液体流出", received_on=date(2026, 3, 2))
    service.decide(db, leader, late_reply.id, decision="accept", on=date(2026, 3, 5))
    service.assign(db, leader, late_reply.id, agency_id=world.agencies["330102"].id, handlers=["officer-330102"])
    service.conclude(db, leader, late_reply.id, substantiated=False, findings="未发现", on=date(2026, 5, 20),
                     method="desk")
    service.reply(db, leader, late_reply.id, text="未发现所述问题", on=date(2026, 5, 20))    # due 05-04
    rows = {r["agency_id"]: r for r in service.statistics(db, actor(db, world, "admin-330000"), year=2026,
                                                          on=date(2026, 7, 1))}
    r = rows[world.agencies["330102"].id]
    assert (r["received"], r["accepted"], r["accepted_on_time"], r["replied"], r["replied_on_time"],
            r["substantiated"], r["overdue_open"], r["on_time_rate"]) == (3, 3, 2, 2, 1, 1, 1, 0.5)


def test_public_form_is_rate_limited_per_client(client, world, engine):
    from greensword.core import ratelimit

    data = {"agency_id": world.agencies["330106"].id, "matter": "noise", "anonymous": "true",
            "content": "工地夜间施工噪声很大，影响休息"}
    codes = [client.post("/public/complaint", data=data).status_code for _ in range(6)]
    assert codes == [200] * 5 + [422]
    r = client.post("/api/v1/complaint/public", json={**data, "anonymous": True})
    assert r.status_code == 422 and r.json()["code"] == "complaint.rate_limited"
    assert "每小时最多提交 5 次" in r.json()["detail"]
    ratelimit.reset(engine, "complaint.public_form")
    r = client.post("/api/v1/complaint/public", json={**data, "anonymous": True})
    assert r.status_code == 201
    view = client.get(f"/api/v1/complaint/public/{r.json()['code']}").json()
    assert view["status"] == "received" and "phone" not in str(view)


def test_window_slides(engine):
    from greensword.complaint.service import check_rate

    for _ in range(5):
        check_rate(engine, "1.2.3.4", now=1000.0)
    with pytest.raises(ValidationFailed, match="每小时最多"):
        check_rate(engine, "1.2.3.4", now=1000.0 + 3599)
    check_rate(engine, "5.6.7.8", now=1000.0)                 # another client is not affected
    check_rate(engine, "1.2.3.4", now=1000.0 + 3600)         # the first five have left the window


def test_enterprise_user_never_sees_complaints(client, db, world):
    _public(db, world)
    db.commit()
    login_as(client, "ent-330102-key")
    r = client.get("/api/v1/complaint")
    assert r.status_code == 403 and r.json()["code"] == "auth.agency_only"
    assert client.get("/complaint/1", headers={"accept": "application/json"}).status_code == 403


def test_check_method_required_and_onsite_when_a_task_exists(db, world):
    leader = actor(db, world, "leader-330102")
    c = _public(db, world)
    service.decide(db, leader, c.id, decision="accept")
    service.assign(db, leader, c.id, agency_id=world.agencies["330102"].id, handlers=["officer-330102"])
    with pytest.raises(ValidationFailed, match="核查方式"):
        service.conclude(db, leader, c.id, substantiated=False, findings="未发现")
    service.link_task(db, leader, c.id, 99)
    with pytest.raises(ValidationFailed, match="现场检查"):
        service.conclude(db, leader, c.id, substantiated=False, findings="未发现", method="desk")
    service.conclude(db, leader, c.id, substantiated=False, findings="未发现")
    assert c.check_method == "onsite"


@pytest.mark.db
def test_whole_handling_in_one_transaction_is_recorded_step_by_step(db, world):
    """Events are written with their audit entries at the next flush (the demo handles thousands
    this way): in one transaction every step is still an event and an audit entry, in order, the
    chain verifies, and a decision not yet flushed is seen by the duplicate check."""
    from sqlalchemy import select

    from greensword.core import audit
    from greensword.core.audit import AuditEntry

    leader = actor(db, world, "leader-330102")
    c = _public(db, world)
    service.decide(db, leader, c.id, decision="accept")
    service.assign(db, leader, c.id, agency_id=world.agencies["330102"].id, handlers=["officer-330102"])
    assert c.agency_id == world.agencies["330102"].id and c.agency.division_code == "330102"
    service.conclude(db, leader, c.id, substantiated=True, findings="属实，已责令改正", method="onsite")
    service.reply(db, leader, c.id, text="经查属实，已依法处理。")
    assert service.public_view(db, c.code)["can_rate"]
    service.rate(db, c.code, "satisfied")
    with pytest.raises(IllegalTransition):
        service.rate(db, c.code, "basic")                   # rated once, even before anything is flushed
    service.award(db, leader, c.id, 500)
    steps = ["receive", "accept", "assign", "conclude", "reply", "rate", "reward"]
    assert [e.action for e in service.events(db, c)] == steps
    assert list(db.execute(select(AuditEntry.action).where(AuditEntry.entity_type == "complaint",
                                                           AuditEntry.entity_id == str(c.id))
                           .order_by(AuditEntry.seq)).scalars()) == [f"complaint.{s}" for s in steps]
    assert audit.verify(db).ok
    # a complaint rejected in this transaction (not yet flushed) is no original for a duplicate
    r = _public(db, world, matter="noise", content="车间夜里一直很吵，噪声影响休息")
    service.decide(db, leader, r.id, decision="reject", reason="已处理完毕")
    again = _public(db, world, matter="noise", content="车间晚上噪声特别大，影响周边居民")
    assert again.duplicate_of is None
