"""A targeted inspection task from a public complaint. The inspection domain owns the action (it
creates tasks); it reads the complaint through complaint.service, which never imports inspection."""

from datetime import date

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ..complaint import service as complaints
from ..core.auth import Actor
from ..core.errors import ValidationFailed
from ..webkit.deps import DB, CurrentActor
from . import service
from .models import Task


def task_from_complaint(session: Session, actor: Actor, complaint_id: int, *, officer_ids: list[int],
                        due_date: date | None = None) -> Task:
    info = complaints.for_task(session, actor, complaint_id)
    due = due_date or info["reply_due"]
    if info["reply_due"] and due > info["reply_due"]:
        raise ValidationFailed(f"检查期限不得晚于投诉答复期限 {info['reply_due']}", code="inspection.due_after_reply")
    task = service.create_targeted_task(session, actor, enterprise_id=info["enterprise_id"], source="complaint",
                                        source_ref=info["code"], officer_ids=officer_ids, due_date=due)
    complaints.link_task(session, actor, complaint_id, task.id)
    return task


router = APIRouter(include_in_schema=False)


@router.post("/inspection/from-complaint/{complaint_id}")
def from_complaint(complaint_id: int, db: DB, actor: CurrentActor, officer: list[int] | None = Form(None),
                   officer_ids: str = Form(""), due_date: date | None = Form(None)):
    """The team: the officers ticked in the page's picker (``officer``), or ids typed comma-separated."""
    ids = list(officer or []) + [int(x) for x in officer_ids.replace("，", ",").split(",") if x.strip().isdigit()]
    task = task_from_complaint(db, actor, complaint_id, officer_ids=ids, due_date=due_date)
    return RedirectResponse(f"/complaint/{complaint_id}?task={task.id}", status_code=303)
