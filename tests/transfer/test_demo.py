"""The demo stages of complaint, transfer and oversight on the test world: they run through the
services (every write audited), and a criminal transfer is followed."""

from datetime import date

from greensword.core.audit import verify
from greensword.demo.context import DemoContext
from greensword.transfer.models import Transfer, TransferPerson
from tests.transfer.test_transfer import _case_with_transfer


def test_demo_stages(db, world):
    from greensword.complaint import demo as complaint_demo
    from greensword.complaint.models import Complaint
    from greensword.oversight import demo as oversight_demo
    from greensword.oversight.models import AuditUnit
    from greensword.transfer import demo as transfer_demo

    _case_with_transfer(db, world, on=date(2026, 9, 21))
    ctx = DemoContext(seed=3, scale="small", today=date(2026, 11, 20))
    complaint_demo.generate(db, ctx)
    transfer_demo.generate(db, ctx)
    oversight_demo.generate(db, ctx)
    assert db.query(Complaint).count() >= 12
    assert db.query(Complaint).filter(Complaint.status == "replied").count() > 0
    criminal = db.query(Transfer).filter(Transfer.kind == "criminal").one()
    assert criminal.status != "sent"
    if criminal.accepted_on:
        assert db.query(TransferPerson).filter(TransferPerson.transfer_id == criminal.id).count() >= 1
    assert db.query(AuditUnit).count() >= 1
    assert verify(db).ok
