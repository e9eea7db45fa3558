import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from greensword.core.errors import Conflict, IllegalTransition, ValidationFailed
from greensword.inspection import service
from greensword.inspection.models import CaseReferral, Snapshot, Task
from tests.factories import actor, signature_png

pytestmark = pytest.mark.db


def _plan(db, world, county, teams=2):
    a = actor(db, world, "leader-330102")
    plan = service.create_plan(db, a, agency_id=county.id, name="2026年第一季度双随机抽查",
                               period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), teams=teams)
    return a, plan


def test_draw_verifies_and_any_changed_input_fails(db, world, county):
    a, plan = _plan(db, world, county)
    service.draw(db, a, plan.id, "2026-01-05 公开摇号 0417")
    db.commit()
    assert service.verify(db, plan).ok
    tasks = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().all()
    assert tasks and all(len(t.officer_ids) >= 2 for t in tasks)
    # the registry changing later does not matter: the snapshot is frozen
    world.enterprises["330102-x1"].credit_class = "red"
    db.commit()
    assert service.verify(db, plan).ok
    # a tampered snapshot, seed or task does
    snap = db.get(Snapshot, plan.enterprises_hash)
    original = snap.content
    snap.content = original.replace('"blue"', '"green"', 1)
    assert not service.verify(db, plan).ok
    snap.content = original
    plan.seed = "another seed"
    assert "不一致" in service.verify(db, plan).message
    plan.seed = "2026-01-05 公开摇号 0417"
    assert service.verify(db, plan).ok
    tasks[0].officer_ids = list(reversed(tasks[0].officer_ids))
    assert not service.verify(db, plan).ok


def test_draw_twice_refused_redraw_needs_reason_and_is_recorded(db, world, county):
    a, plan = _plan(db, world, county)
    service.draw(db, a, plan.id, "seed-1")
    with pytest.raises(Conflict):
        service.draw(db, a, plan.id, "seed-2")
    first = plan.result_hash
    service.draw(db, a, plan.id, "seed-2", reason="摇号现场直播中断，经批准重新摇号")
    assert plan.redraws[0]["reason"].startswith("摇号") and plan.redraws[0]["previous_result_hash"] == first
    assert service.verify(db, plan).ok


def test_positive_list_out_of_draws_but_targeted_tasks_allowed(db, world, county):
    a, plan = _plan(db, world, county)
    service.draw(db, a, plan.id, "seed")
    positive = {e.id for e in world.enterprises.values() if e.positive_list}
    drawn = {t.enterprise_id for t in db.execute(select(Task).where(Task.plan_id == plan.id)).scalars()}
    assert positive and not positive & drawn
    ent = next(e for e in world.enterprises.values() if e.positive_list and e.agency_id == county.id)
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    t = service.create_targeted_task(db, actor(db, world, "officer-330102"), enterprise_id=ent.id, source="lead",
                                     source_ref="线索 L-2026-0001", officer_ids=offs, due_date=date(2026, 2, 1))
    assert t.source == "lead"
    with pytest.raises(ValidationFailed):
        service.create_targeted_task(db, actor(db, world, "officer-330102"), enterprise_id=ent.id,
                                     source="complaint", source_ref="信访 12345", officer_ids=offs[:1],
                                     due_date=date(2026, 2, 1))
    service.declare_conflict(db, a, offs[0], ent.id, "配偶在该企业任职")
    with pytest.raises(ValidationFailed, match="回避"):
        service.create_targeted_task(db, actor(db, world, "officer-330102"), enterprise_id=ent.id, source="lead",
                                     source_ref="线索 L-2026-0002", officer_ids=offs, due_date=date(2026, 2, 1))


def test_conflicted_officer_never_drawn_for_that_enterprise(db, world, county):
    a, plan = _plan(db, world, county)
    service.draw(db, a, plan.id, "seed")
    t = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()
    service.declare_conflict(db, a, t.officer_ids[0], t.enterprise_id, "曾在该企业任职")
    _, plan2 = _plan(db, world, county)
    service.draw(db, a, plan2.id, "seed")
    for t2 in db.execute(select(Task).where(Task.plan_id == plan2.id)).scalars():
        if t2.enterprise_id == t.enterprise_id:
            assert t.officer_ids[0] not in t2.officer_ids
    assert service.verify(db, plan2).ok


def _open_task(db, world, county):
    a, plan = _plan(db, world, county)
    service.draw(db, a, plan.id, "seed")
    return db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()


def test_record_flow_resumable_upload_submit_immutable_amend(db, world, county):
    officer = actor(db, world, "officer-330102")
    task = _open_task(db, world, county)
    items = [i.code for i in service.checklist_for(task.enterprise.industry_code).items]
    service.save_record(db, officer, task, checklist={c: "ok" for c in items[:-1]} | {items[-1]: "problem"},
                        findings="危废贮存场所未设置标识", violation=True, location="30.25,120.16")
    photo = bytes(range(256)) * 400
    sha = hashlib.sha256(photo).hexdigest()
    up = service.start_upload(db, officer, task, sha256_hex=sha, size=len(photo), filename="现场照片1.jpg",
                              mime="image/jpeg", location="30.25,120.16")
    assert up["received"] == 0
    service.put_chunk(db, officer, up["upload_id"], 0, photo[:40000])
    # connection drops; the client asks where to resume and re-sends an overlapping chunk
    again = service.start_upload(db, officer, task, sha256_hex=sha, size=len(photo), filename="现场照片1.jpg")
    assert again["upload_id"] == up["upload_id"] and again["received"] == 40000
    with pytest.raises(Conflict):
        service.put_chunk(db, officer, up["upload_id"], 60000, photo[60000:])
    service.put_chunk(db, officer, up["upload_id"], 30000, photo[30000:80000])
    done = service.put_chunk(db, officer, up["upload_id"], 80000, photo[80000:])
    assert done["done"]
    assert service.evidence_path(sha).read_bytes() == photo
    assert service.start_upload(db, officer, task, sha256_hex=sha, size=len(photo), filename="x.jpg")["done"]
    assert len(service.evidence_of(db, task)) == 1
    with pytest.raises(ValidationFailed):
        service.submit(db, officer, task)                       # no signatures yet
    service.sign(db, officer, task, role="officer", name="执法员甲", png=signature_png())
    service.sign(db, officer, task, role="officer", name="执法员乙", png=signature_png())
    service.sign(db, officer, task, role="enterprise", name="企业代表丙", png=signature_png())
    r = service.submit(db, officer, task)
    assert r.status == "submitted" and r.record_hash and task.status == "submitted"
    assert db.execute(select(CaseReferral).where(CaseReferral.record_id == r.id)).scalar_one()
    with pytest.raises(IllegalTransition):
        service.save_record(db, officer, task, checklist={}, findings="改", violation=False)
    with pytest.raises(IllegalTransition):
        service.sign(db, officer, task, role="officer", name="执法员丁", png=signature_png())
    with pytest.raises(IllegalTransition):
        service.start_upload(db, officer, task, sha256_hex="0" * 64, size=3, filename="late.jpg")
    service.amend(db, officer, task, "补正：检查地点门牌号应为 18 号")
    pub = service.published_results(db)
    assert pub and pub[0]["result"].startswith("发现") and "执法员" not in str(pub)
    stats = {s["division_code"]: s for s in service.statistics(db, officer, year=2026)}
    assert stats["330102"]["inspections"] == 1 and stats["330102"]["findings_per_inspection"] == 1.0
    # what the other domains read through inspection.queries
    from greensword.cases import service as cases
    from greensword.core.models import AuditEntry
    from greensword.inspection import queries

    pending = queries.pending_referrals(db, officer)
    assert [(p.record_id, p.enterprise_name, p.findings) for p in pending] == [
        (r.id, task.enterprise.name, "危废贮存场所未设置标识")]
    assert queries.pending_referrals(db, actor(db, world, "officer-330203")) == []      # another county
    ev = queries.record_evidence(db, r.id)
    assert ev.record_hash == r.record_hash and ev.files == [("现场照片1.jpg", sha)]
    y = r.checked_at.year
    sums = queries.county_sums(db, date(y, 1, 1), date(y, 12, 31), upload_on_time_hours=24)
    assert sums[task.agency_id]["inspections"] == 1 and sums[task.agency_id]["findings"] == 1
    assert sums[task.agency_id]["uploads_on_time"] == 1
    assert queries.county_sums(db, date(y - 1, 1, 1), date(y - 1, 12, 31), upload_on_time_hours=24) == {}
    assert queries.inspections_by_officer(db) == {i: 1 for i in task.officer_ids}
    c = cases.open_from_referral(db, officer, pending[0].id)
    assert c.record_id == r.id and c.officer_ids == task.officer_ids and "现场照片1.jpg" in str(cases.evidence_list(db, c))
    assert queries.referral(db, pending[0].id).status == "opened" and queries.pending_referral_ids(db) == []
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "inspection.referral.opened")).scalar_one()
    with pytest.raises(Conflict):
        cases.open_from_referral(db, officer, pending[0].id)


def test_bad_upload_hash_is_discarded(db, world, county):
    officer = actor(db, world, "officer-330102")
    task = _open_task(db, world, county)
    up = service.start_upload(db, officer, task, sha256_hex="a" * 64, size=4, filename="x.bin")
    with pytest.raises(ValidationFailed, match="SHA-256"):
        service.put_chunk(db, officer, up["upload_id"], 0, b"abcd")
    assert service.evidence_of(db, task) == []


def test_cross_region_plan_draws_officers_of_the_other_county(db, world, county):
    a = actor(db, world, "leader-330000")
    plan = service.create_plan(db, a, agency_id=county.id, name="异地交叉执法", period_start=date(2026, 4, 1),
                               period_end=date(2026, 6, 30), teams=1, mode="cross_region",
                               officer_agency_ids=[world.agencies["330203"].id])
    service.draw(db, a, plan.id, "cross seed")
    others = {world.officers["330203-0"].id, world.officers["330203-1"].id}
    tasks = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().all()
    assert tasks and all(set(t.officer_ids) <= others for t in tasks)
    assert all(t.enterprise.agency_id == county.id for t in tasks)
    assert service.verify(db, plan).ok
