"""Every role at every agency (and every enterprise user) against every jurisdiction's records:
reads and writes are allowed exactly within the actor's subtree (or own enterprise)."""

import pytest
from sqlalchemy import select

from greensword.core.errors import PermissionDenied
from greensword.core.models import User
from greensword.registry import service
from greensword.registry.schemas import EnterpriseIn
from tests.factories import actor

pytestmark = pytest.mark.db


def _users(db):
    return [u.username for u in db.execute(select(User).order_by(User.username)).scalars()]


def _expect_read(a, enterprise) -> bool:
    if a.is_enterprise:
        return a.enterprise_id == enterprise.id
    return enterprise.agency.path.startswith(a.agency_path)


def test_read_matrix(db, world):
    checked = 0
    for username in _users(db):
        a = actor(db, world, username)
        for e in world.enterprises.values():
            allowed = _expect_read(a, e)
            if allowed:
                assert service.get_enterprise(db, a, e.id).id == e.id
            else:
                with pytest.raises(PermissionDenied):
                    service.get_enterprise(db, a, e.id)
            checked += 1
        for p in world.points.values():
            allowed = _expect_read(a, p.enterprise)
            if allowed:
                assert service.get_point(db, a, p.id).id == p.id
            else:
                with pytest.raises(PermissionDenied):
                    service.get_point(db, a, p.id)
        for o in world.officers.values():
            allowed = not a.is_enterprise and o.agency.path.startswith(a.agency_path)
            if allowed:
                service.get_officer(db, a, o.id)
            else:
                with pytest.raises(PermissionDenied):
                    service.get_officer(db, a, o.id)
        # Lists return exactly the readable records.
        listed = {e.id for e in service.list_enterprises(db, a).items}
        assert listed == {e.id for e in world.enterprises.values() if _expect_read(a, e)}
        listed_points = {p.id for p in service.list_points(db, a).items}
        assert listed_points == {p.id for p in world.points.values() if _expect_read(a, p.enterprise)}
    assert checked == len(_users(db)) * len(world.enterprises) > 200


def test_write_matrix(db, world):
    for username in _users(db):
        a = actor(db, world, username)
        for e in world.enterprises.values():
            data = EnterpriseIn(uscc=e.uscc, name=e.name + "（更名）", address=e.address,
                                agency_code=e.agency.division_code, industry_code=e.industry_code,
                                key_polluter=e.key_polluter, credit_class=e.credit_class,
                                positive_list=e.positive_list)
            allowed = a.has("admin") and not a.is_enterprise and e.agency.path.startswith(a.agency_path)
            nested = db.begin_nested()
            try:
                if allowed:
                    assert service.save_enterprise(db, a, data, e.id).name.endswith("（更名）")
                else:
                    with pytest.raises(PermissionDenied):
                        service.save_enterprise(db, a, data, e.id)
            finally:
                nested.rollback()


def test_moving_an_enterprise_out_of_jurisdiction_is_refused(db, world):
    a = actor(db, world, "admin-330100")
    e = world.enterprises["330102-key"]
    data = EnterpriseIn(uscc=e.uscc, name=e.name, agency_code="330203", industry_code=e.industry_code)
    with pytest.raises(PermissionDenied):
        service.save_enterprise(db, a, data, e.id)


def test_api_enforces_the_same_rules(client, world):
    from tests.conftest import login_as

    login_as(client, "officer-330106")
    own = world.enterprises["330106-key"]
    other = world.enterprises["330102-key"]
    assert client.get(f"/api/v1/registry/enterprises/{own.id}").status_code == 200
    r = client.get(f"/api/v1/registry/enterprises/{other.id}")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "auth.out_of_jurisdiction"
    listed = client.get("/api/v1/registry/enterprises").json()
    assert {i["id"] for i in listed["items"]} == {world.enterprises["330106-key"].id, world.enterprises["330106-small"].id}


def test_enterprise_user_sees_only_itself(client, world):
    from tests.conftest import login_as

    login_as(client, "ent-330203-key")
    own = world.enterprises["330203-key"]
    assert client.get(f"/api/v1/registry/enterprises/{own.id}").status_code == 200
    for key, e in world.enterprises.items():
        if key != "330203-key":
            assert client.get(f"/api/v1/registry/enterprises/{e.id}").status_code == 403
    assert client.get("/api/v1/registry/officers").json()["total"] == 0
