"""Two officers acting on the same case at once: one step applies, the other gets the 409 a
second click gets, and the audit chain holds one entry for the one step (core.locks)."""

from datetime import date

import pytest

from greensword.cases import service
from greensword.cases.models import Case
from tests.conftest import csrf_client, login_as
from tests.races import audit_count, chain_holds, race, tag_steps, web_race

pytestmark = pytest.mark.db


def test_two_suspensions_of_one_case_at_once(flow, db, engine, monkeypatch):
    c = flow.open()
    flow.to_reviewed(c)
    db.commit()
    leader = flow.leader

    def suspend(s):
        return service.act(s, leader, c.id, "suspend", on=date(2026, 3, 12),
                           data={"reason": "等待监测报告", "document": "中止调查审批表"}).stage

    won, lost = race(engine, monkeypatch, suspend, suspend).one_wins()
    assert won == "suspended" and "中止" in lost.message
    db.expire_all()
    case = db.get(Case, c.id)
    assert case.stage == "suspended" and case.resume_stage == "reviewed"
    assert len([p for p in service.pauses(db, case) if p.kind == "suspension"]) == 1
    assert audit_count(db, "penalty_case", c.id, "cases.suspend") == 1
    chain_holds(db)



def test_a_step_that_waited_too_long_for_the_lock_is_a_503_to_retry(app, db, flow, monkeypatch):
    """SQLite's busy_timeout or a PostgreSQL deadlock while waiting for a record's lock: nothing was
    applied, so the user is told to retry (zh-CN, 503 with Retry-After), not shown a server fault."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from tests.conftest import csrf_client, login_as

    c = flow.open()
    db.commit()

    def locked(*_a, **_kw):
        raise OperationalError("SELECT … FOR UPDATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(service, "act", locked)
    with csrf_client(app, raise_server_exceptions=False) as client:
        login_as(client, "leader-330102")
        r = client.post(f"/api/v1/cases/{c.id}/act/file", json={"on": "2026-03-03"})
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert r.json()["code"] == "server.busy" and "请稍后重试" in r.json()["title"]
        page = client.post(f"/cases/{c.id}/act/file", data={"on": "2026-03-03"})
        assert page.status_code == 503 and "正由他人办理" in page.text


def test_two_leaders_suspending_one_case_through_the_console_at_once(app, flow, db, engine, monkeypatch):
    """The same race end to end: two signed-in leaders (each with a session cookie and a CSRF
    token) post 中止调查 for the same case to the real ASGI app at the same moment. One is sent on
    to the case (303), the other gets the case page with the zh-CN refusal as a 409; the case is
    suspended once, with one audit entry, and the API answers a repeat with the same problem JSON."""
    c = flow.open()
    flow.to_reviewed(c)
    db.commit()
    web = tag_steps(app)
    form = {"on": "2026-03-12", "reason": "等待监测报告", "document": "中止调查审批表"}
    with csrf_client(web) as county, csrf_client(web) as city:
        login_as(county, "leader-330102")
        login_as(city, "leader-330100")
        responses = web_race(engine, monkeypatch, (county, "POST", f"/cases/{c.id}/act/suspend",
                                                   {"data": form, "follow_redirects": False}),
                             (city, "POST", f"/cases/{c.id}/act/suspend", {"data": form, "follow_redirects": False}))
        for r in responses:
            if isinstance(r, BaseException):
                raise r
        assert sorted(r.status_code for r in responses) == [303, 409], [(r.status_code, r.text[:300])
                                                                         for r in responses]
        lost = next(r for r in responses if r.status_code == 409)
        assert "text/html" in lost.headers["content-type"] and "案件处于“中止调查”阶段，不能“中止调查”" in lost.text, lost.text
        problem = county.post(f"/api/v1/cases/{c.id}/act/suspend", json={"on": "2026-03-12", "reason": "重复"})
        assert problem.status_code == 409 and problem.headers["content-type"].startswith("application/problem+json")
        assert problem.json()["status"] == 409 and "不能“中止调查”" in problem.json()["title"]
    db.expire_all()
    case = db.get(Case, c.id)
    assert case.stage == "suspended" and case.resume_stage == "reviewed"
    assert len([p for p in service.pauses(db, case) if p.kind == "suspension"]) == 1
    assert audit_count(db, "penalty_case", c.id, "cases.suspend") == 1
    chain_holds(db)


def test_two_api_clients_suspending_one_case_at_once(app, flow, db, engine, monkeypatch):
    """The same race through the JSON API: one 200 with the suspended case, one 409 problem JSON in
    zh-CN, one audit entry."""
    c = flow.open()
    flow.to_reviewed(c)
    db.commit()
    web = tag_steps(app)
    body = {"on": "2026-03-12", "data": {"reason": "等待监测报告", "document": "中止调查审批表"}}
    with csrf_client(web) as county, csrf_client(web) as city:
        login_as(county, "leader-330102")
        login_as(city, "leader-330100")
        responses = web_race(engine, monkeypatch, *((who, "POST", f"/api/v1/cases/{c.id}/act/suspend", {"json": body})
                                                    for who in (county, city)))
        for r in responses:
            if isinstance(r, BaseException):
                raise r
        assert sorted(r.status_code for r in responses) == [200, 409], [(r.status_code, r.text[:300])
                                                                         for r in responses]
        won = next(r for r in responses if r.status_code == 200)
        lost = next(r for r in responses if r.status_code == 409)
        assert won.json()["stage"] == "suspended"
        assert lost.headers["content-type"].startswith("application/problem+json")
        assert lost.json()["status"] == 409 and "案件处于“中止调查”阶段，不能“中止调查”" in lost.json()["title"]
    db.expire_all()
    assert db.get(Case, c.id).stage == "suspended"
    assert audit_count(db, "penalty_case", c.id, "cases.suspend") == 1
    chain_holds(db)
