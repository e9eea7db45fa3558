"""The firm's administrator adds a clerk (role names in zh-CN); the clerk sees the firm's own
warnings and nothing of another firm."""

from greensword.portal import warnings as service
from tests.conftest import login_as
from tests.factories import actor
from tests.portal.conftest import make_lead


def test_admin_adds_a_clerk_who_sees_only_the_firms_warnings(client, db, world, lead, firm_admin):
    w = service.remind(db, actor(db, world, "officer-330102"), lead.id)
    other = service.remind(db, actor(db, world, "officer-330106"), make_lead(db, world, "330106").id)
    db.commit()
    login_as(client, "ent-330102-key-admin")
    r = client.post("/account/users", data={"username": "clerk-zhang", "password": "clerk-pass-1",
                                            "display_name": "张办事员"}, follow_redirects=True)
    assert r.status_code == 200 and "张办事员" in r.text and "企业用户" in r.text and "企业管理员" in r.text
    client.post("/logout")
    login_as(client, "clerk-zhang", "clerk-pass-1")
    r = client.get("/portal/warnings")
    assert f"/portal/warnings/{w.id}" in r.text and f"/portal/warnings/{other.id}" not in r.text
    assert client.get(f"/portal/warnings/{other.id}").status_code == 403
    r = client.post("/account/users", data={"username": "clerk-li", "password": "clerk-pass-2"})
    assert r.status_code == 403 and "只有企业管理员" in r.text        # a clerk cannot add users
