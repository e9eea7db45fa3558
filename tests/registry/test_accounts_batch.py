"""Accounts created in a batch (the demo's province, county and city users) are checked one by
one as a single account is: a name taken already or earlier in the batch refuses the batch; each
account is audited."""

import pytest
from sqlalchemy import func, select

from greensword.core import auth
from greensword.core.audit import AuditEntry
from greensword.core.errors import ValidationFailed
from tests.factories import SYSTEM


def _item(name, agency_id, roles=("officer",)):
    return dict(username=name, password="", roles=list(roles), display_name=name, agency_id=agency_id,
                password_hash="x")


def test_batch_accounts_checked_and_audited_each(db, world):
    unit = world.agencies["330102"].id
    users = auth.create_users(db, SYSTEM, [_item("batch-a", unit), _item("batch-b", unit, ("leader",))])
    assert [u.username for u in users] == ["batch-a", "batch-b"] and all(u.id for u in users)
    assert users[1].roles == ["leader"] and users[0].agency_id == unit
    db.flush()
    assert db.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.create", AuditEntry.entity_id.in_([str(u.id) for u in users]))).scalar_one() == 2
    for bad, code in (([_item("batch-a", unit)], "auth.username_taken"),
                      ([_item("batch-c", unit), _item("batch-c", unit)], "auth.username_taken"),
                      ([_item("batch-d", unit, ("wizard",))], "auth.unknown_role"),
                      ([_item("batch-e", None)], "auth.agency_required")):
        with pytest.raises(ValidationFailed) as exc:
            auth.create_users(db, SYSTEM, bad)
        assert exc.value.code == code
    assert db.execute(select(func.count()).select_from(auth.User).where(auth.User.username.like("batch-%"))
                      ).scalar_one() == 2
