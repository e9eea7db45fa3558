"""Case orders become rectification items once: a firm's sync (what its portal pages run on every
visit) reads only that firm's items, writes the new ones together, each audited and notified."""

from sqlalchemy import func, select

from greensword.core.audit import AuditEntry
from greensword.portal import rectify
from greensword.portal.models.notifications import Notification
from greensword.portal.models.rectification import Rectification
from tests.portal.conftest import decide


def _count(db, model, *where) -> int:
    return db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_a_firms_sync_creates_its_items_once_audited_and_notified(db, world, flow):
    c = decide(flow)
    other = next(e for e in world.enterprises.values() if e.id != c.enterprise_id)
    assert rectify.sync_orders(db, "system", [other.id]) == 0           # another firm: nothing of this case
    n = rectify.sync_orders(db, "system", [c.enterprise_id])
    assert n >= 1
    items = db.execute(select(Rectification).where(Rectification.case_id == c.id)).scalars().all()
    assert len(items) == n and {i.enterprise_id for i in items} == {c.enterprise_id}
    assert all(i.source_ref.startswith(f"case:{c.id}:") and i.status == "open" for i in items)
    assert _count(db, AuditEntry, AuditEntry.action == "portal.rectification.create",
                  AuditEntry.entity_id.in_([str(i.id) for i in items])) == n
    assert _count(db, Notification, Notification.link.in_([f"/portal/rectifications/{i.id}" for i in items])) == n
    assert rectify.sync_orders(db, "system", [c.enterprise_id]) == 0    # idempotent
    assert rectify.sync_orders(db, "system") == 0                       # and the full sync agrees
    db.commit()


def test_an_item_filed_under_another_firm_is_not_created_again(db, world, flow):
    """A ref is looked up among the firm's items; one that ended up under another firm (the case
    corrected to another enterprise) must neither be duplicated nor break the unique ref."""
    c = decide(flow)
    assert rectify.sync_orders(db, "system", [c.enterprise_id]) >= 1
    other = next(e for e in world.enterprises.values() if e.id != c.enterprise_id)
    for item in db.execute(select(Rectification).where(Rectification.case_id == c.id)).scalars():
        item.enterprise_id = other.id
    db.flush()
    assert rectify.sync_orders(db, "system", [c.enterprise_id]) == 0
    db.commit()


def test_open_case_items_and_current_listings_counted_set_wise(db, world):
    """credit's open case items per case (one query for many cases; case 1 is not case 12) and
    positive.current_of (one query for many firms) answer as the one-at-a-time look-ups did."""
    from datetime import date, datetime

    from greensword.portal import credit, positive
    from greensword.portal.models.positive import PositiveListing

    e = next(iter(world.enterprises.values()))
    for ref, status in (("case:1:correction:decision", "open"), ("case:12:correction:decision", "reported"),
                        ("case:1:reinspection:3", "closed"), ("case:121:correction:decision", "open")):
        db.add(Rectification(enterprise_id=e.id, agency_id=e.agency_id, source="case", source_ref=ref, kind="correction",
                             title="t", detail="", created_at=datetime(2026, 1, 1), due_on=date(2026, 2, 1),
                             status=status, escalated=False))
    db.flush()
    assert credit._open_rectifications(db, [1, 12, 5]) == {1: 1, 12: 1}
    assert credit._open_rectifications(db, []) == {}
    firms = list(world.enterprises.values())[:3]
    for f, status in ((firms[0], "rejected"), (firms[0], "pending"), (firms[1], "listed")):
        db.add(PositiveListing(enterprise_id=f.id, agency_id=f.agency_id, origin="apply", statement="s", evidence=[],
                               criteria=[], applied_by="x", applied_on=date(2026, 1, 1), applied_at=datetime(2026, 1, 1),
                               status=status, decision_reason="", review_trigger="", removal_reason="",
                               removal_trigger=""))
    db.flush()
    got = positive.current_of(db, [f.id for f in firms])
    assert got == {f.id: positive.current(db, f.id) for f in firms}
    assert got[firms[0].id].status == "pending" and got[firms[2].id] is None
    db.rollback()
