"""Warnings: an officer reminds a screened lead; the firm answers (late answers accepted and
flagged); the officer accepts or escalates; files are checked; a firm never sees another's."""

from datetime import timedelta

import pytest

from greensword.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from greensword.offsite import service as offsite
from greensword.portal import queries, rectify, uploads
from greensword.portal import warnings as service
from greensword.portal.models.rectification import Rectification
from tests.conftest import login_as
from tests.factories import actor
from tests.portal.conftest import JPEG, PDF, PNG, make_lead


def test_remind_sends_a_warning_with_the_rules_deadline(db, world, lead):
    off = actor(db, world, "officer-330102")
    w = service.remind(db, off, lead.id, note="请核实")
    assert w.hours == 4 and w.due_at - w.sent_at == timedelta(hours=4)        # key discharger
    assert offsite.get_lead(db, off, lead.id).status == "reminded"
    with pytest.raises(IllegalTransition):                                  # the lead has moved on
        service.remind(db, off, lead.id)
    # offsite alone can no longer remind without a warning
    lead2 = make_lead(db, world, "330106")
    with pytest.raises(ValidationFailed):
        offsite.act(db, actor(db, world, "officer-330106"), lead2.id, "remind")


def test_a_non_key_firm_gets_48_hours(db, world):
    from greensword.registry import service as registry
    from greensword.registry.schemas import PointIn
    from tests.factories import SYSTEM

    small = world.enterprises["330102-small"]
    p = registry.save_point(db, SYSTEM, PointIn(mn="330102SMALLGAS0000000001", enterprise_uscc=small.uscc, name="排口",
                                                kind="gas", factors=[]))
    world.points["330102-gas"] = p
    lead = make_lead(db, world)
    w = service.remind(db, actor(db, world, "officer-330102"), lead.id)
    assert w.hours == 48 and w.enterprise_id == small.id


def test_answer_with_photo_then_accept_closes_the_lead(db, world, lead):
    off = actor(db, world, "officer-330102")
    w = service.remind(db, off, lead.id)
    firm = actor(db, world, "ent-330102-key")
    with pytest.raises(ValidationFailed) as e:                               # an explanation needs evidence
        service.answer(db, firm, w.id, kind="explain", text="设备校准", files=[])
    assert e.value.code == "portal.no_evidence"
    service.answer(db, firm, w.id, kind="explain", text="当日为设备校准，附运维记录",
                   files=[uploads.Upload("现场.jpg", JPEG), uploads.Upload("记录.pdf", PDF)])
    assert w.status == "answered" and not w.late and len(w.files) == 2
    meta, data = service.evidence_file(db, off, w.id, w.files[0]["sha256"])
    assert data == JPEG and meta["mime"] == "image/jpeg"
    with pytest.raises(IllegalTransition):
        service.answer(db, firm, w.id, kind="explain", text="再答", files=[uploads.Upload("a.png", PNG)])
    service.decide(db, off, w.id, decision="accept", note="说明成立")
    assert w.status == "accepted" and offsite.get_lead(db, off, lead.id).status == "closed"
    assert "企业说明已采纳" in offsite.get_lead(db, off, lead.id).outcome


def test_late_answer_is_accepted_and_flagged_then_escalated(db, world, lead, monkeypatch):
    off = actor(db, world, "officer-330102")
    w = service.remind(db, off, lead.id)
    w.due_at = w.sent_at - timedelta(minutes=1)                              # the deadline has passed
    assert service.overdue(w)
    firm = actor(db, world, "ent-330102-key")
    service.answer(db, firm, w.id, kind="explain", text="迟到的说明", files=[uploads.Upload("p.png", PNG)])
    assert w.late and w.status == "answered"
    with pytest.raises(ValidationFailed):
        service.decide(db, off, w.id, decision="escalate", note="说明不成立", officer_ids=[])
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    service.decide(db, off, w.id, decision="escalate", note="说明不成立", officer_ids=offs)
    assert w.status == "escalated" and w.task_id
    assert offsite.get_lead(db, off, lead.id).status == "inspection"
    c = queries.warning_counts(db, agency_path=world.agencies["330102"].path)
    assert (c["sent"], c["answered_on_time"], c["late"], c["escalated"]) == (1, 0, 1, 1)


def test_admit_opens_a_rectification_item(db, world, lead):
    from datetime import date

    w = service.remind(db, actor(db, world, "officer-330102"), lead.id)
    firm = actor(db, world, "ent-330102-key")
    with pytest.raises(ValidationFailed):
        service.answer(db, firm, w.id, kind="admit", text="脱硫塔故障", files=[])
    service.answer(db, firm, w.id, kind="admit", text="脱硫塔故障，已停机检修", files=[], rectify_by=date(2099, 1, 1))
    item = db.query(Rectification).one()
    assert item.source == "warning" and item.due_on == date(2099, 1, 1)
    assert rectify.list_items(db, firm) == [item]


@pytest.mark.parametrize("name,data,code", [
    ("big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024) + b"\xff\xd9", "portal.file_too_large"),
    ("a.exe", b"MZ\x90\x00" + b"0" * 100, "portal.bad_file_type"),
    ("假照片.jpg", b"<html>not a photo</html>", "portal.bad_file_type"),
    ("cut.jpg", JPEG[:-50], "portal.broken_file"),
    ("empty.jpg", b"", "portal.empty_file"),
])
def test_bad_uploads_store_nothing(db, world, lead, name, data, code):
    w = service.remind(db, actor(db, world, "officer-330102"), lead.id)
    firm = actor(db, world, "ent-330102-key")
    before = sorted(uploads.STORE.root.rglob("*")) if uploads.STORE.root.exists() else []
    with pytest.raises(ValidationFailed) as e:                     # the good photo is not stored either
        service.answer(db, firm, w.id, kind="explain", text="说明",
                       files=[uploads.Upload("good.png", PNG), uploads.Upload(name, data)])
    assert e.value.code == code and name in e.value.message
    after = sorted(uploads.STORE.root.rglob("*")) if uploads.STORE.root.exists() else []
    assert after == before and w.status == "sent"


def test_another_firm_can_neither_see_nor_answer(db, world, lead):
    w = service.remind(db, actor(db, world, "officer-330102"), lead.id)
    other = actor(db, world, "ent-330106-key")
    with pytest.raises(PermissionDenied):
        service.get_warning(db, other, w.id)
    with pytest.raises(PermissionDenied):
        service.answer(db, other, w.id, kind="explain", text="x", files=[uploads.Upload("p.png", PNG)])
    assert service.list_warnings(db, other) == []
    with pytest.raises(PermissionDenied):                          # nor another county's officer decide
        service.decide(db, actor(db, world, "officer-330203"), w.id, decision="accept")
    with pytest.raises(PermissionDenied):                          # nor the firm decide on itself
        service.decide(db, actor(db, world, "ent-330102-key"), w.id, decision="accept")


def test_pages_remind_answer_accept(client, db, world, lead):
    login_as(client, "officer-330102")
    r = client.post(f"/portal/leads/{lead.id}/remind", data={"reason": "请说明"})
    assert r.status_code == 200 and "查看预警及企业答复" in r.text
    w = service.list_warnings(db, actor(db, world, "officer-330102"))[0]
    client.post("/logout")
    login_as(client, "ent-330106-key")
    assert client.get(f"/portal/warnings/{w.id}").status_code == 403
    client.post("/logout")
    login_as(client, "ent-330102-key")
    assert w.title in client.get("/portal/warnings").text
    r = client.post(f"/portal/warnings/{w.id}/answer", data={"kind": "explain", "text": "校准"},
                    files=[("files", ("x.jpg", b"GIF89a....", "image/jpeg"))])
    assert r.status_code == 422 and "不是允许的类型" in r.text
    r = client.post(f"/portal/warnings/{w.id}/answer", data={"kind": "explain", "text": "校准"},
                    files=[("files", ("x.jpg", JPEG, "image/jpeg"))])
    assert r.status_code == 200 and "企业已答复" in r.text
    client.post("/logout")
    login_as(client, "officer-330102")
    r = client.post(f"/portal/warnings/{w.id}/decide", data={"decision": "accept", "note": "成立"})
    assert "答复已采纳" in r.text


def test_statistics_count_the_warnings(db, world, lead):
    from greensword.core.timeutil import now
    from greensword.evaluation.statistics import Filters, compute

    off = actor(db, world, "officer-330102")
    w = service.remind(db, off, lead.id)
    w.due_at = w.sent_at - timedelta(minutes=1)
    service.answer(db, actor(db, world, "ent-330102-key"), w.id, kind="explain", text="说明",
                   files=[uploads.Upload("p.png", PNG)])
    db.flush()
    today = now().date()
    figs = compute(db, Filters(today, today))
    city = figs[world.agencies["330100"].id]                 # rolled up the tree
    assert (city.get("warnings_sent"), city.get("warnings_late"), city.get("warnings_on_time")) == (1, 1, 0)
    assert compute(db, Filters(today - timedelta(days=9), today - timedelta(days=1)))[
        world.agencies["330100"].id].get("warnings_sent") == 0
