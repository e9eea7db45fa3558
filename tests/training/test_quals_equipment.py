from datetime import date, datetime

import pytest

from greensword.core.errors import Conflict, ValidationFailed
from greensword.training import courses, equipment, quals
from greensword.training import service as training
from tests.factories import SYSTEM

pytestmark = pytest.mark.db


def test_is_legally_qualified_on_dates(db, world):
    o = world.officers["330102-0"]
    assert not training.is_legally_qualified(db, o.id, date(2026, 1, 1))
    q = quals.issue(db, SYSTEM, officer_id=o.id, kind="legal_review", number="A2024001",
                    issued_on=date(2024, 3, 1), expires_on=date(2026, 2, 28))
    assert not training.is_legally_qualified(db, o.id, date(2024, 2, 29))
    assert training.is_legally_qualified(db, o.id, date(2024, 3, 1))
    assert training.is_legally_qualified(db, o.id, date(2026, 2, 28))
    assert not training.is_legally_qualified(db, o.id, date(2026, 3, 1))
    quals.revoke(db, SYSTEM, q.id, on=date(2025, 6, 1), reason="调离法制岗位")
    assert training.is_legally_qualified(db, o.id, date(2025, 5, 31))
    assert not training.is_legally_qualified(db, o.id, date(2025, 6, 1))
    # an enforcement certificate is not a legal-review qualification
    quals.issue(db, SYSTEM, officer_id=o.id, kind="enforcement", number="ZF1", issued_on=date(2020, 1, 1))
    assert not training.is_legally_qualified(db, o.id, date(2025, 7, 1))


def test_reminders_skip_renewed(db, world):
    a, b = world.officers["330102-0"], world.officers["330102-1"]
    quals.issue(db, SYSTEM, officer_id=a.id, kind="drone", number="D1", issued_on=date(2024, 7, 1))   # → 2026-06-30
    quals.issue(db, SYSTEM, officer_id=b.id, kind="drone", number="D2", issued_on=date(2024, 7, 1))
    quals.issue(db, SYSTEM, officer_id=b.id, kind="drone", number="D3", issued_on=date(2026, 6, 1))   # renewed
    quals.issue(db, SYSTEM, officer_id=a.id, kind="enforcement", number="Z9", issued_on=date(2024, 7, 1))
    rs = quals.reminders(db, SYSTEM, date(2026, 5, 15))
    assert [(r.number, r.days_left) for r in rs] == [("D1", 46)]
    assert quals.reminders(db, SYSTEM, date(2026, 4, 15)) == []          # 76 days > 60-day window
    with pytest.raises(Conflict):
        quals.issue(db, SYSTEM, officer_id=a.id, kind="drone", number="D1", issued_on=date(2025, 1, 1))


def test_course_hours_and_pool_criteria(db, world):
    o = world.officers["330102-0"]
    prov = world.agencies["330000"].id
    quals.issue(db, SYSTEM, officer_id=o.id, kind="enforcement", number="Z1", issued_on=date(2022, 1, 1))
    c1 = courses.create_course(db, SYSTEM, agency_id=prov, title="新行政处罚法", level="province",
                               start_on=date(2026, 3, 1), end_on=date(2026, 3, 2), hours=12)
    courses.record_attendance(db, SYSTEM, c1.id, o.id)
    with pytest.raises(Conflict):
        courses.record_attendance(db, SYSTEM, c1.id, o.id)
    with pytest.raises(ValidationFailed):
        courses.record_attendance(db, SYSTEM, c1.id, world.officers["330102-1"].id, hours=13)
    assert courses.hours_of(db, o.id, date(2026, 1, 1), date(2026, 12, 31)) == 12
    checks = courses.check_criteria(db, o.id, "talent", "county", date(2026, 6, 1))
    assert checks["years_certified"]["ok"] and not checks["training_hours"]["ok"]   # 12 < 16
    with pytest.raises(ValidationFailed) as e:
        courses.admit(db, SYSTEM, pool="talent", officer_id=o.id, level="county", on=date(2026, 6, 1))
    assert e.value.code == "training.criteria_not_met"
    c2 = courses.create_course(db, SYSTEM, agency_id=prov, title="非现场监管", level="province",
                               start_on=date(2026, 4, 1), end_on=date(2026, 4, 1), hours=4)
    courses.record_attendance(db, SYSTEM, c2.id, o.id)
    checks = courses.check_criteria(db, o.id, "talent", "county", date(2026, 6, 1))
    assert checks["training_hours"]["ok"] and not checks["best_exam"]["ok"]


def test_equipment_use_needs_licence_and_no_overlap(db, world):
    o = world.officers["330102-0"]
    unit = world.agencies["330102"].id
    d = equipment.add(db, SYSTEM, agency_id=unit, kind="drone", model="DJI M30T", serial="UAV-1",
                      acquired_on=date(2025, 1, 1))
    t0, t1 = datetime(2026, 5, 1, 9), datetime(2026, 5, 1, 10)
    with pytest.raises(ValidationFailed) as e:
        equipment.log_use(db, SYSTEM, d.id, officer_id=o.id, started_at=t0, ended_at=t1, purpose="巡查")
    assert e.value.code == "training.no_drone_licence"
    quals.issue(db, SYSTEM, officer_id=o.id, kind="drone", number="UAV-L1", issued_on=date(2025, 1, 1))
    equipment.log_use(db, SYSTEM, d.id, officer_id=o.id, started_at=t0, ended_at=t1, purpose="巡查")
    with pytest.raises(Conflict):
        equipment.log_use(db, SYSTEM, d.id, officer_id=o.id, started_at=datetime(2026, 5, 1, 9, 30),
                          ended_at=datetime(2026, 5, 1, 11), purpose="巡查")
    equipment.add(db, SYSTEM, agency_id=unit, kind="recorder", model="DSJ", serial="REC-1", acquired_on=date(2025, 1, 1))
    cnt = equipment.counts(db, world.agencies["330100"].path, year=2026)
    assert cnt["drone"] == {"in_service": 1, "uses": 1} and cnt["recorder"]["in_service"] == 1
    assert equipment.counts(db, world.agencies["330200"].path)["drone"]["in_service"] == 0
    assert [u.purpose for u in equipment.uses(db, d.id)] == ["巡查"]
    equipment.set_status(db, SYSTEM, d.id, "repair")
    with pytest.raises(ValidationFailed) as e:
        equipment.log_use(db, SYSTEM, d.id, officer_id=o.id, started_at=datetime(2026, 5, 2, 9),
                          ended_at=datetime(2026, 5, 2, 10), purpose="巡查")
    assert e.value.code == "training.equipment_unavailable"
    assert equipment.counts(db, world.agencies["330100"].path)["drone"]["in_service"] == 0


def test_batches_check_each_item_refuse_taken_numbers_and_audit_each(db, world):
    """issue_many/add_many (the demo's and bulk registration's path) check every item as the
    single calls do: a number or serial taken (already, or earlier in the batch) refuses the batch."""
    from sqlalchemy import func, select

    from greensword.core.audit import AuditEntry

    a, b = world.officers["330102-0"], world.officers["330102-1"]
    qs = quals.issue_many(db, SYSTEM, [
        dict(officer_id=a.id, kind="drone", number="UAV-B1", issued_on=date(2025, 1, 1)),
        dict(officer_id=b.id, kind="drone", number="UAV-B2", issued_on=date(2020, 1, 1)),
        dict(officer_id=a.id, kind="enforcement", number="UAV-B1", issued_on=date(2025, 1, 1))])   # other kind
    assert [q.number for q in qs] == ["UAV-B1", "UAV-B2", "UAV-B1"] and all(q.id for q in qs)
    assert qs[0].expires_on is not None                     # the validity period from the rules, as issue()
    assert quals.holders(db, [a.id, b.id], "drone", date(2026, 1, 1)) == {
        o for o in (a.id, b.id) if quals.holds(db, o, "drone", date(2026, 1, 1))} == {a.id}
    with pytest.raises(Conflict):
        quals.issue_many(db, SYSTEM, [dict(officer_id=b.id, kind="drone", number="UAV-B2", issued_on=date(2026, 1, 1))])
    with pytest.raises(Conflict):
        quals.issue_many(db, SYSTEM, [dict(officer_id=b.id, kind="drone", number="UAV-B3", issued_on=date(2026, 1, 1)),
                                      dict(officer_id=a.id, kind="drone", number="UAV-B3", issued_on=date(2026, 1, 1))])
    unit = world.agencies["330102"].id
    es = equipment.add_many(db, SYSTEM, [dict(agency_id=unit, kind="drone", model="M30T", serial="S-1",
                                              acquired_on=date(2025, 1, 1)),
                                         dict(agency_id=unit, kind="vehicle", model="车", serial="S-2",
                                              acquired_on=date(2025, 1, 1))])
    with pytest.raises(Conflict):
        equipment.add_many(db, SYSTEM, [dict(agency_id=unit, kind="drone", model="x", serial="S-3",
                                             acquired_on=date(2025, 1, 1)),
                                        dict(agency_id=unit, kind="drone", model="x", serial="S-3",
                                             acquired_on=date(2025, 1, 1))])
    with pytest.raises(ValidationFailed):
        equipment.add_many(db, SYSTEM, [dict(agency_id=unit, kind="boat", model="x", serial="S-4",
                                             acquired_on=date(2025, 1, 1))])
    db.flush()
    n = lambda action, ids: db.execute(select(func.count()).select_from(AuditEntry).where(  # noqa: E731
        AuditEntry.action == action, AuditEntry.entity_id.in_([str(i) for i in ids]))).scalar_one()
    assert n("training.qualification.issue", [q.id for q in qs]) == 3
    assert n("training.equipment.add", [e.id for e in es]) == 2
