from datetime import date

from sqlalchemy import select

from greensword.inspection import service
from greensword.inspection.models import Task
from tests.conftest import login_as
from tests.factories import actor


def test_plan_draw_verify_pages_and_public_csv(client, db, world, county):
    login_as(client, "leader-330102")
    r = client.post("/inspection/plans", data={"agency_id": county.id, "name": "2026年一季度", "period_start": "2026-01-01",
                                               "period_end": "2026-03-31", "teams": 2, "mode": "routine"})
    assert r.status_code == 200 and "2026年一季度" in r.text
    plan_id = int(str(r.url).rstrip("/").split("/")[-1])
    r = client.post(f"/inspection/plans/{plan_id}/draw", data={"seed": "公开摇号 7731"})
    assert "公开摇号 7731" in r.text and "结果哈希" in r.text
    r = client.post(f"/inspection/plans/{plan_id}/draw", data={"seed": "again"})
    assert r.status_code == 409 and "理由" in r.text
    r = client.get(f"/inspection/plans/{plan_id}?verified=1")
    assert "复算一致" in r.text
    api = client.get(f"/api/v1/inspection/plans/{plan_id}/inputs").json()
    from greensword.inspection.draw import run_draw

    assert run_draw(api["seed"], api["enterprises"], api["officers"], api["params"]).hash == api["result_hash"]
    client.post("/logout")
    r = client.get("/public/inspections")
    assert r.status_code == 200 and "抽查结果" in r.text
    assert client.get("/public/inspections.csv").content.startswith("\ufeff企业名称".encode())


def test_task_page_errors_are_shown_and_nothing_changes(client, db, world, county):
    a = actor(db, world, "leader-330102")
    plan = service.create_plan(db, a, agency_id=county.id, name="p", period_start=date(2026, 1, 1),
                               period_end=date(2026, 3, 31), teams=2)
    service.draw(db, a, plan.id, "s")
    db.commit()
    task = db.execute(select(Task).where(Task.plan_id == plan.id)).scalars().first()
    login_as(client, "officer-330102")
    r = client.post(f"/inspection/tasks/{task.id}/submit")
    assert r.status_code == 422 and "检查事项未填写完整" in r.text
    assert client.get("/inspection/tasks").status_code == 200
