"""The phone's additions to an on-site record: GPS position (ranges checked on the server), drawn
signatures (a real PNG with strokes, within limits; nothing stored when refused), save feedback
for the page's scripts, and evidence served only to those who may see the record."""

import hashlib
import struct
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from greensword.core.errors import ValidationFailed
from greensword.core.timeutil import now
from greensword.inspection import service
from greensword.inspection.models import Record, Task
from tests.conftest import login_as
from tests.factories import actor, png_bytes, signature_png

pytestmark = pytest.mark.db
JSON = {"Accept": "application/json"}


def _task(db, world, county):
    a = actor(db, world, "leader-330102")
    plan = service.create_plan(db, a, agency_id=county.id, name="现场", period_start=date(2026, 1, 1),
                               period_end=date(2026, 3, 31), teams=2)
    service.draw(db, a, plan.id, "field seed")
    db.commit()
    return db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()


def _officer_names(db, task):
    from greensword.registry.models import Officer

    return [db.get(Officer, i).name for i in task.officer_ids]


def _stored_signatures() -> list:
    root = service.SIGNATURES.root
    return sorted(p.name for p in root.rglob("*.png")) if root.exists() else []


# --- GPS ------------------------------------------------------------------------------------

def test_position_ranges():
    at = now()
    ok = service.position("30.2741", "120.1551", "12.5", at.isoformat(), at=at)
    assert (ok.lat, ok.lon, ok.accuracy_m) == (30.2741, 120.1551, 12.5)
    assert service.position("", "", "", "") is None                       # nothing captured: keep what is stored
    bad = [("90.5", "120", "10", at.isoformat(), "纬度 90.5 超出"),
           ("30", "-180.01", "10", at.isoformat(), "经度 -180.01 超出"),
           ("30", "120", "0", at.isoformat(), "定位精度 0 米无效"),
           ("30", "120", "20000", at.isoformat(), "定位精度 20000 米无效"),
           ("nan", "120", "10", at.isoformat(), "纬度不是有效数字"),
           ("北纬30", "120", "10", at.isoformat(), "不是数字"),
           ("30", "120", "", at.isoformat(), "定位信息不完整"),
           ("30", "120", "10", "昨天", "格式无效"),
           ("30", "120", "10", "2026-01-01T10:00:00", "须带时区"),
           ("30", "120", "10", (at + timedelta(hours=1)).isoformat(), "晚于当前时间"),
           ("30", "120", "10", (at - timedelta(days=4)).isoformat(), "早于 3 天前")]
    for lat, lon, acc, when, message in bad:
        with pytest.raises(ValidationFailed, match=message):
            service.position(lat, lon, acc, when, at=at)
    # the edges are inside
    assert service.position("-90", "180", "10000", (at - timedelta(days=2)).isoformat(), at=at).lon == 180


def test_save_with_gps_feedback_and_refusal_changes_nothing(client, db, world, county):
    task = _task(db, world, county)
    login_as(client, "officer-330102")
    at = now().isoformat()
    r = client.post(f"/inspection/tasks/{task.id}/record", headers=JSON, data={
        "findings": "现场正常", "gps_lat": "30.2741000", "gps_lon": "120.1551000", "gps_accuracy": "8.0", "gps_at": at})
    assert r.status_code == 200 and r.json()["ok"] and r.json()["saved_text"]
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    assert (rec.gps_lat, rec.gps_lon, rec.gps_accuracy_m) == (30.2741, 120.1551, 8.0) and rec.saved_at
    # out of range: a clear message, the stored record unchanged
    r = client.post(f"/inspection/tasks/{task.id}/record", headers=JSON, data={
        "findings": "被改", "gps_lat": "130", "gps_lon": "120.1", "gps_accuracy": "8", "gps_at": at})
    assert r.status_code == 422 and r.json()["message"] == "纬度 130.0 超出 −90～90 度"
    # the page (no scripts) shows the message and keeps what was typed
    r = client.post(f"/inspection/tasks/{task.id}/record", data={
        "findings": "被改", "gps_lat": "30", "gps_lon": "999", "gps_accuracy": "8", "gps_at": at})
    assert r.status_code == 422 and "经度 999.0 超出" in r.text and ">被改</textarea>" in r.text
    db.expire_all()
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    assert rec.findings == "现场正常" and rec.gps_lat == 30.2741
    # saving without a new fix keeps the stored one; the page shows it and the save time
    r = client.post(f"/inspection/tasks/{task.id}/record", data={"findings": "现场正常。"}, follow_redirects=True)
    assert "已保存" in r.text and "纬度 30.274100，经度 120.155100，精度 ±8 米" in r.text
    db.expire_all()
    assert db.execute(select(Record).where(Record.task_id == task.id)).scalar_one().gps_lat == 30.2741


# --- signatures -----------------------------------------------------------------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _bad_pngs() -> list[tuple[str, bytes, str]]:
    good = signature_png()
    grey16 = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 16, 0, 0, 0, 0))
              + _chunk(b"IDAT", zlib.compress(b"\0" * 210)) + _chunk(b"IEND", b""))
    flipped = bytearray(good)
    flipped[40] ^= 0xFF                                       # a byte inside IDAT: the chunk CRC no longer fits
    return [("empty", b"", "没有收到签名图像"),
            ("gif", b"GIF89a" + good[6:], "不是 PNG 图片"),
            ("truncated", good[:-20], "不完整"),
            ("crc", bytes(flipped), "校验码错误"),
            ("huge file", good + b"\0" * (210 * 1024), "超过 200 KB 上限"),
            ("too large", png_bytes(1300, 2, lambda x, y: (0, 0, 0, 255)), "尺寸 1300×2 超出上限"),
            ("16-bit", grey16, "须为 8 位"),
            ("blank pad", signature_png(ink=False), "签名为空"),
            ("a dot", png_bytes(60, 40, lambda x, y: (0, 0, 0, 255) if 20 <= x < 23 and 20 <= y < 23 else (0, 0, 0, 0)),
             "签名为空"),
            ("blacked out", png_bytes(60, 40, lambda x, y: (0, 0, 0, 255)), "大面积涂黑"),
            ("white strokes", png_bytes(120, 40, lambda x, y: (255, 255, 255, 255) if y == 20 else (0, 0, 0, 0)),
             "签名为空")]


def test_bad_signatures_are_refused_and_nothing_is_stored(db, world, county):
    task = _task(db, world, county)
    officer = actor(db, world, "officer-330102")
    service.save_record(db, officer, task, checklist={}, findings="", violation=False)
    for label, data, message in _bad_pngs():
        with pytest.raises(ValidationFailed, match=message):
            service.sign(db, officer, task, role="enterprise", name="企业代表", png=data)
        assert _stored_signatures() == [], label
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    assert rec.signatures == []
    names = _officer_names(db, task)
    with pytest.raises(ValidationFailed, match="不是本任务的检查人员"):
        service.sign(db, officer, task, role="officer", name="冒名者", png=signature_png(), officer_names=names)
    assert _stored_signatures() == []
    # every row filter a PNG encoder may choose decodes to the same strokes
    for filt in range(5):
        assert service.check_signature(signature_png(filt=filt)).pixels == service.check_signature(signature_png()).pixels
    r = service.sign(db, officer, task, role="officer", name=names[0], png=signature_png(), officer_names=names)
    sha = hashlib.sha256(signature_png()).hexdigest()
    assert r.signatures[0]["sha256"] == sha and _stored_signatures() == [f"{sha}.png"]


def test_signing_on_the_page_then_submit_locks_it(client, db, world, county):
    task = _task(db, world, county)
    names = _officer_names(db, task)
    login_as(client, "officer-330102")

    def sign(role, name, data):
        return client.post(f"/inspection/tasks/{task.id}/sign", headers=JSON, data={"role": role, "name": name},
                           files={"png": ("signature.png", data, "image/png")})
    r = sign("enterprise", "企业代表丙", signature_png(ink=False))
    assert r.status_code == 422 and "签名为空" in r.json()["message"] and _stored_signatures() == []
    r = sign("officer", "不在任务里", signature_png())
    assert r.status_code == 422 and "不是本任务的检查人员" in r.json()["message"]
    pads = [signature_png(240, 90), signature_png(300, 100), signature_png(260, 96)]
    for (role, name), data in zip((("officer", names[0]), ("officer", names[1]), ("enterprise", "企业代表丙")), pads,
                                  strict=True):
        r = sign(role, name, data)
        assert r.status_code == 200 and r.json()["message"] == f"{name} 已签名"
    assert sign("officer", names[0], pads[0]).status_code == 409                 # once per person
    page = client.get(f"/inspection/tasks/{task.id}").text
    shas = [hashlib.sha256(d).hexdigest() for d in pads]
    for sha in shas:
        assert f"/inspection/tasks/{task.id}/signatures/{sha}.png" in page
    img = client.get(f"/inspection/tasks/{task.id}/signatures/{shas[0]}.png")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png" and img.content == pads[0]
    assert client.get(f"/inspection/tasks/{task.id}/signatures/{'0' * 64}.png").status_code == 404
    # a signature taken back is gone from the record (to be redrawn)
    r = client.post(f"/inspection/tasks/{task.id}/unsign", data={"sha": shas[2]}, headers=JSON)
    assert r.status_code == 200
    assert sign("enterprise", "企业代表丙", pads[2]).status_code == 200
    items = [i.code for i in service.checklist_for(task.enterprise.industry_code).items]
    client.post(f"/inspection/tasks/{task.id}/record", data={f"item-{c}": "ok" for c in items} | {
        "gps_lat": "30.27", "gps_lon": "120.15", "gps_accuracy": "9", "gps_at": now().isoformat()})
    assert client.post(f"/inspection/tasks/{task.id}/submit").status_code == 200
    db.expire_all()
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    assert rec.status == "submitted" and [s["sha256"] for s in rec.signatures] == shas
    assert rec.record_hash == service.record_hash(rec, [])              # the position is in the hash
    moved = rec.gps_lat
    rec.gps_lat = 31.0
    assert service.record_hash(rec, []) != rec.record_hash
    rec.gps_lat = moved
    db.rollback()
    # immutable: no more signatures, none taken back, nothing new stored
    before = _stored_signatures()
    assert sign("enterprise", "见证人", signature_png(250, 90)).status_code == 409
    assert client.post(f"/inspection/tasks/{task.id}/unsign", data={"sha": shas[0]}, headers=JSON).status_code == 409
    assert _stored_signatures() == before
    # other counties cannot see the signatures
    login_as(client, "officer-330106")
    assert client.get(f"/inspection/tasks/{task.id}/signatures/{shas[0]}.png").status_code == 403


# --- evidence -------------------------------------------------------------------------------

def _upload(db, officer, task, data: bytes, filename: str, mime: str):
    sha = hashlib.sha256(data).hexdigest()
    up = service.start_upload(db, officer, task, sha256_hex=sha, size=len(data), filename=filename, mime=mime)
    return service.put_chunk(db, officer, up["upload_id"], 0, data)["evidence_id"]


def test_evidence_is_served_with_its_type_to_those_who_may_see_the_record(client, db, world, county):
    task = _task(db, world, county)
    officer = actor(db, world, "officer-330102")
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    html = b"<html><script>alert(1)</script></html>"
    ids = {name: _upload(db, officer, task, data, name, mime) for name, data, mime in (
        ("现场照片.jpg", jpeg, "image/jpeg"), ("监测报告.pdf", pdf, "application/pdf"),
        ("说明.html", html, "image/jpeg"))}              # a client claiming an HTML page is a photo
    db.commit()
    login_as(client, "officer-330102")
    page = client.get(f"/inspection/tasks/{task.id}").text
    assert f'<img src="/inspection/tasks/{task.id}/evidence/{ids["现场照片.jpg"]}?thumb=1"' in page
    assert f'href="/inspection/tasks/{task.id}/evidence/{ids["监测报告.pdf"]}"' in page and ">PDF<" in page
    r = client.get(f"/inspection/tasks/{task.id}/evidence/{ids['现场照片.jpg']}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.content == jpeg
    assert r.headers["content-disposition"].startswith("inline;")
    r = client.get(f"/inspection/tasks/{task.id}/evidence/{ids['监测报告.pdf']}")
    assert r.headers["content-type"] == "application/pdf" and r.content == pdf
    r = client.get(f"/inspection/tasks/{task.id}/evidence/{ids['说明.html']}")
    assert r.headers["content-type"] == "application/octet-stream" and r.headers["content-disposition"].startswith(
        "attachment;") and r.headers["x-content-type-options"] == "nosniff"
    # another task's id in the path, an unknown id, a tampered file
    other = db.execute(select(Task).where(Task.plan_id == task.plan_id, Task.id != task.id)).scalars().first()
    assert client.get(f"/inspection/tasks/{other.id}/evidence/{ids['现场照片.jpg']}").status_code == 404
    assert client.get(f"/inspection/tasks/{task.id}/evidence/999999").status_code == 404
    service.evidence_path(hashlib.sha256(pdf).hexdigest()).write_bytes(pdf + b"changed")
    assert client.get(f"/inspection/tasks/{task.id}/evidence/{ids['监测报告.pdf']}").status_code == 409
    # only those who may see the record
    for who, status in (("officer-330106", 403), ("ent-330102-key", 403)):
        login_as(client, who)
        assert client.get(f"/inspection/tasks/{task.id}/evidence/{ids['现场照片.jpg']}").status_code == status, who
    client.post("/logout")
    r = client.get(f"/inspection/tasks/{task.id}/evidence/{ids['现场照片.jpg']}", follow_redirects=False)
    assert r.status_code in (303, 401)


def test_photo_previews_and_what_the_camera_recorded(client, db, world, county):
    from PIL import Image

    from tests.core.test_thumbs import pdf, photo

    task = _task(db, world, county)
    officer = actor(db, world, "officer-330102")
    near = photo(orientation=6, gps=(("N", (30.0, 16.0, 27.0)), ("E", (120.0, 9.0, 18.0))),
                 taken="2026:03:02 10:15:30", device=("HUAWEI", "P60"))
    far = photo((1200, 900), gps=(("N", (30.0, 20.0, 0.0)), ("E", (120.0, 9.0, 18.0))))    # ≈6 km north
    plain = photo((640, 480))
    broken = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    report = pdf((595, 842, (255, 255, 255)))
    ids = {name: _upload(db, officer, task, data, name, mime) for name, data, mime in (
        ("近.jpg", near, "image/jpeg"), ("远.jpg", far, "image/jpeg"), ("无信息.jpg", plain, "image/jpeg"),
        ("报告.pdf", broken, "application/pdf"), ("监测报告.pdf", report, "application/pdf"))}
    db.commit()
    login_as(client, "officer-330102")
    client.post(f"/inspection/tasks/{task.id}/record", headers=JSON, data={
        "findings": "现场", "gps_lat": "30.2741", "gps_lon": "120.1551", "gps_accuracy": "8", "gps_at": now().isoformat()})
    rec = db.execute(select(Record).where(Record.task_id == task.id)).scalar_one()
    rec.checked_at = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)       # 3 月 2 日 02:30 in Beijing
    db.commit()
    base = f"/inspection/tasks/{task.id}/evidence"
    r = client.get(f"{base}/{ids['近.jpg']}?thumb=1")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and "no-store" in r.headers["cache-control"]
    img = Image.open(__import__("io").BytesIO(r.content))
    assert max(img.size) <= 320 and img.size[1] > img.size[0] and len(r.content) < len(near) / 10
    assert client.get(f"{base}/{ids['近.jpg']}").content == near            # the original is untouched
    r = client.get(f"{base}/{ids['报告.pdf']}?thumb=1")
    assert r.headers["content-type"].startswith("image/svg+xml") and "无法预览" in r.text
    r = client.get(f"{base}/{ids['监测报告.pdf']}?thumb=1")               # a PDF's first page
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and "no-store" in r.headers["cache-control"]
    assert Image.open(__import__("io").BytesIO(r.content)).size[1] == 320
    assert client.get(f"{base}/{ids['监测报告.pdf']}").content == report     # the original is untouched
    page = client.get(f"/inspection/tasks/{task.id}").text
    assert f'href="{base}/{ids["监测报告.pdf"]}" target="_blank" rel="noopener" title="打开 PDF 原件"><img src="{base}/{ids["监测报告.pdf"]}?thumb=1"' in page
    items = {n: page.split(f"/evidence/{i}?thumb=1", 1)[1].split("</li>", 1)[0] for n, i in ids.items()
             if not n.endswith(".pdf")}
    assert "拍摄于 2026-03-02 10:15" in items["近.jpg"] and "HUAWEI P60" in items["近.jpg"] and "3000×4000" in page
    assert "距检查定位 1" in items["近.jpg"] and "拍摄位置偏离" not in items["近.jpg"]
    assert "距检查定位 6" in items["远.jpg"] and "拍摄位置偏离" in items["远.jpg"]
    assert "拍摄日期" not in items["近.jpg"]                   # same day in Beijing (a day before in UTC)
    rec.checked_at = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    db.commit()
    page = client.get(f"/inspection/tasks/{task.id}").text
    assert "拍摄日期早于检查 3 天" in page.split(f"/evidence/{ids['近.jpg']}?thumb=1", 1)[1].split("</li>", 1)[0]
    assert "照片未记录拍摄时间" in items["无信息.jpg"] and "距检查定位" not in items["无信息.jpg"]
    # only those who may see the record get the preview too
    login_as(client, "officer-330106")
    assert client.get(f"{base}/{ids['近.jpg']}?thumb=1").status_code == 403
    assert client.get(f"{base}/{ids['监测报告.pdf']}?thumb=1").status_code == 403


def test_transcript_docx_holds_the_record(client, db, world, county):
    import io

    from docx import Document

    task = _task(db, world, county)
    names = _officer_names(db, task)
    officer = actor(db, world, "officer-330102")
    items = [i.code for i in service.checklist_for(task.enterprise.industry_code).items]
    service.save_record(db, officer, task, checklist={c: "ok" for c in items}, findings="危废标识缺失", violation=True,
                        location="厂区东门", position=service.position("30.2741", "120.1551", "9", now().isoformat()))
    pad = signature_png()
    for role, name in (("officer", names[0]), ("officer", names[1]), ("enterprise", "企业代表丙")):
        service.sign(db, officer, task, role=role, name=name, png=pad)
    rec = service.submit(db, officer, task)
    db.commit()
    login_as(client, "officer-330102")
    assert 'id="transcript"' in client.get(f"/inspection/tasks/{task.id}").text
    r = client.get(f"/inspection/tasks/{task.id}/transcript.docx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "现场检查（勘察）笔录" in text and task.enterprise.name in text and "危废标识缺失" in text
    assert "北纬 30.274100°，东经 120.155100°（WGS-84），精度 ±9 米" in text and rec.record_hash in text
    assert f"执法人员：{names[0]}" in text and "企业代表：企业代表丙" in text
    assert len(doc.inline_shapes) == 3                                  # the drawn signatures as images
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert cells.count("正常") == len(items)
    login_as(client, "officer-330106")
    assert client.get(f"/inspection/tasks/{task.id}/transcript.docx").status_code == 403


def test_a_refusing_representative_is_replaced_by_a_witness(client, db, world, county):
    task = _task(db, world, county)
    names = _officer_names(db, task)
    officer = actor(db, world, "officer-330102")
    items = [i.code for i in service.checklist_for(task.enterprise.industry_code).items]
    service.save_record(db, officer, task, checklist={c: "ok" for c in items}, findings="", violation=False)
    for name in names[:2]:
        service.sign(db, officer, task, role="officer", name=name, png=signature_png(), officer_names=names)
    with pytest.raises(ValidationFailed, match="企业代表签名"):
        service.submit(db, officer, task)
    with pytest.raises(ValidationFailed, match="身份"):
        service.sign(db, officer, task, role="bystander", name="路人", png=signature_png())
    r = service.sign(db, officer, task, role="witness", name="社区网格员丁", png=signature_png())
    assert r.signatures[-1]["note"] == "企业代表拒绝签名，由见证人签名"
    assert service.submit(db, officer, task).status == "submitted"
    db.commit()
    login_as(client, "officer-330102")
    page = client.get(f"/inspection/tasks/{task.id}").text
    assert "见证人（企业代表拒签）：社区网格员丁" in page and "企业代表拒绝签名，由见证人签名" in page
