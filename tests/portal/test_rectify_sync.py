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
