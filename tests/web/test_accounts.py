"""Every enterprise gets an account; an enterprise administrator adds colleagues (own enterprise only)."""

from datetime import date

from sqlalchemy import func, select

from greensword.cases.deadlines import Due
from greensword.core import auth
from greensword.core.models import User
from greensword.registry.models import Enterprise
from tests.conftest import login_as
from tests.factories import password_hash


def test_every_enterprise_gets_an_admin_account_once(db, world):
    ents = [tuple(r) for r in db.execute(select(Enterprise.id, Enterprise.uscc, Enterprise.name))]
    n = auth.create_enterprise_accounts(db, "demo", ents, password_hash=password_hash())
    assert n == len(ents) == 6
    assert auth.create_enterprise_accounts(db, "demo", ents, password_hash=password_hash()) == 0
    count = db.execute(select(func.count()).select_from(User).where(User.username.like("ent-9%"))).scalar_one()
    assert count == len(ents)
    u = db.execute(select(User).where(User.username == f"ent-{ents[0][1]}")).scalar_one()
    assert u.enterprise_id == ents[0][0] and "enterprise_admin" in u.roles
    from greensword.core.audit import verify

    assert verify(db).ok


def _admin(db, world):
    e = world.enterprises["330102-key"]
    auth.create_enterprise_accounts(db, "demo", [(e.id, e.uscc, e.name)], password_hash=password_hash())
    db.commit()
    return f"ent-{e.uscc}", e


def test_enterprise_admin_adds_a_user_who_can_sign_in(client, db, world):
    admin, e = _admin(db, world)
    login_as(client, admin)
    page = client.get("/account/users")
    assert page.status_code == 200 and "企业管理员" in page.text
    r = client.post("/account/users", data={"username": "zhang-san", "password": "pass-word-9",
                                            "display_name": "张三"}, follow_redirects=False)
    assert r.status_code == 303
    u = db.execute(select(User).where(User.username == "zhang-san")).scalar_one()
    assert u.enterprise_id == e.id and u.roles == ["enterprise"]
    client.post("/logout")
    login_as(client, "zhang-san", "pass-word-9")
    assert client.get("/").status_code == 200
    # a plain enterprise user cannot add users, nor can an agency officer
    r = client.post("/account/users", data={"username": "li-si", "password": "pass-word-9"})
    assert r.status_code == 403
    client.post("/logout")
    login_as(client, "officer-330102")
    assert client.get("/account/users").status_code == 403


def test_refused_user_is_explained_and_nothing_stored(client, db, world):
    admin, _ = _admin(db, world)
    login_as(client, admin)
    r = client.post("/account/users", data={"username": "officer-330102", "password": "pass-word-9"})
    assert r.status_code == 422 and "已存在" in r.text
    r = client.post("/account/users", data={"username": "x y", "password": "pass-word-9"})
    assert r.status_code == 422 and "用户名须为" in r.text


def test_due_status_accepts_dates_stored_as_text():
    d = Due("reconsideration", "申请行政复议期限", date(2026, 3, 1), "", "2026-02-20")
    assert d.status(date(2026, 4, 1)) == "done"
    assert Due("reconsideration", "x", date(2026, 3, 1), "").status(date(2026, 4, 1)) == "lapsed"
    assert Due("payment", "x", date(2026, 3, 1), "").status(date(2026, 4, 1)) == "overdue"
