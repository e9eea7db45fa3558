"""Two officers acting on the same case at once: one step applies, the other gets the 409 a
second click gets, and the audit chain holds one entry for the one step (core.locks)."""

from datetime import date

import pytest

from greensword.cases import service
from greensword.cases.models import Case
from tests.races import audit_count, chain_holds, race

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
