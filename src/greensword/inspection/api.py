"""Inspection JSON API: resumable evidence uploads, draw verification and published inputs, and
the targeted task a confirmed off-site lead becomes."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from ..webkit.deps import DB, CurrentActor, RawBody
from . import service
from .models import Snapshot
from .schemas import TaskFromLead, TaskOut, UploadStart

router = APIRouter(prefix="/inspection", tags=["inspection"])


@router.post("/tasks/{task_id}/uploads")
def start_upload(task_id: int, body: UploadStart, db: DB, actor: CurrentActor) -> dict:
    """Begin, or resume, an evidence upload; answers how many bytes the server already has."""
    task = service.get_task(db, actor, task_id)
    return service.start_upload(db, actor, task, sha256_hex=body.sha256, size=body.size, filename=body.filename,
                                mime=body.mime, captured_at=body.captured_at, location=body.location)


@router.put("/uploads/{upload_id}")
def put_chunk(upload_id: Annotated[str, PathParam(pattern="^[0-9a-f]{32}$")],
              offset: Annotated[int, Query(ge=0, le=512 * 1024 * 1024)],
              db: DB, actor: CurrentActor, data: RawBody) -> dict:
    """Append a chunk at ``offset`` (bytes already received are skipped, so re-sending is safe).
    The body is bounded by the request-size limit (web.security) before it is read."""
    return service.put_chunk(db, actor, upload_id, offset, data)


@router.get("/plans/{plan_id}/verify")
def verify(plan_id: int, db: DB, actor: CurrentActor) -> dict:
    v = service.verify(db, service.get_plan(db, actor, plan_id))
    return {"plan_id": v.plan_id, "ok": v.ok, "message": v.message}


@router.get("/plans/{plan_id}/inputs")
def inputs(plan_id: int, db: DB, actor: CurrentActor) -> dict:
    """Everything needed to re-run the draw independently (see inspection/draw.py)."""
    plan = service.get_plan(db, actor, plan_id)
    if plan.status != "drawn":
        return {"plan_id": plan.id, "status": plan.status}
    import json

    return {"plan_id": plan.id, "seed": plan.seed, "enterprises_hash": plan.enterprises_hash,
            "officers_hash": plan.officers_hash, "params_hash": plan.params_hash, "result_hash": plan.result_hash,
            "enterprises": json.loads(db.get(Snapshot, plan.enterprises_hash).content),
            "officers": json.loads(db.get(Snapshot, plan.officers_hash).content),
            "params": plan.result["params"], "algorithm": "greensword.inspection.draw.run_draw (SHA-256 lottery)"}


@router.post("/leads/{lead_id}/task")
def task_from_lead(lead_id: int, body: TaskFromLead, db: DB, actor: CurrentActor) -> TaskOut:
    """A confirmed off-site lead becomes a targeted on-site task (the inspection domain owns this step)."""
    task = service.task_from_lead(db, actor, lead_id, officer_ids=body.officer_ids, due_date=body.due_date)
    return TaskOut.model_validate(task)
