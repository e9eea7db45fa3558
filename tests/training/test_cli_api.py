from datetime import date, timedelta

import pytest

from greensword.training import bank, exams, quals
from greensword.training import queries as training
from tests.conftest import login_as
from tests.factories import SYSTEM, add_user

pytestmark = pytest.mark.db


def test_cli_reminders_and_bank(cli, db, world):
    o = world.officers["330106-0"]
    quals.issue(db, SYSTEM, officer_id=o.id, kind="enforcement", number="ZF-CLI-1", issued_on=date(2021, 12, 1))
    db.commit()
    r = cli("training", "reminders", "--on", "2026-11-01")
    assert r.exit_code == 0 and "ZF-CLI-1" in r.output and "共 1 条提醒" in r.output, r.output
    assert "共 0 条提醒" in cli("training", "reminders", "--on", "2026-08-01").output
    r = cli("training", "bank")
    assert r.exit_code == 0 and f"合计 {len(bank.questions())} 题" in r.output


def test_api_exam_flow_hides_answers_and_refuses_late(client, db, world):
    o = world.officers["330203-0"]
    add_user(db, "api-taker", ["officer"], agency=world.agencies["330203"], officer=o)
    e = exams.create_exam(db, SYSTEM, agency_id=world.agencies["330000"].id, title="API考试", level="city",
                          opens_on=date.today() - timedelta(days=1), closes_on=date.today() + timedelta(days=1),
                          n_questions=5, seed="api")
    db.commit()
    login_as(client, "api-taker")
    started = client.post(f"/api/v1/training/exams/{e.id}/attempts").json()
    assert len(started["questions"]) == 5
    assert all("answer" not in q and "provision" not in q for q in started["questions"])
    qids = [q["id"] for q in started["questions"]]
    out = client.post(f"/api/v1/training/attempts/{started['attempt_id']}/submit",
                      json={"answers": {qids[0]: bank.question(qids[0]).answer}}).json()
    assert out["score"] == 20.0
    assert len(client.get(f"/api/v1/training/attempts/{started['attempt_id']}/review").json()) == 4
    r = client.post(f"/api/v1/training/attempts/{started['attempt_id']}/answers", json={"answers": {qids[1]: "A"}})
    assert r.status_code == 409 and r.json()["code"] == "training.already_submitted"


def test_queries_for_other_domains(db, world):
    o = world.officers["330102-1"]
    quals.issue(db, SYSTEM, officer_id=o.id, kind="legal_review", number="A-Q-1", issued_on=date(2025, 1, 1))
    assert training.is_legally_qualified(db, o.id, date(2026, 1, 1))
    s = training.summary(db, "/", 2026)
    assert s["officers"] == 6 and s["equipment"]["drone"] == {"in_service": 0, "uses": 0}
