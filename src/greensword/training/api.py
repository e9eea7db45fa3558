"""Training API: exams (start, answer, submit, review), off-site marks, judges' sheets, results,
reminders and summary figures."""

from datetime import date

from fastapi import APIRouter, Response

from ..core.pagination import Sort
from ..core.timeutil import now
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import ApiList, PageOf, api_rows
from . import competitions, exams, quals
from . import service as training
from .schemas import AnswersIn, MarksIn, SheetIn

router = APIRouter(prefix="/training", tags=["training"])


@router.post("/exams/{exam_id}/attempts")
def start(exam_id: int, db: DB, actor: CurrentActor) -> dict:
    a = exams.start(db, actor, exam_id)
    return {"attempt_id": a.id, "deadline_at": a.deadline_at,
            "questions": [{k: v for k, v in q.items() if k not in ("answer", "provision", "article")}
                          for q in exams.paper(a)]}


@router.post("/attempts/{attempt_id}/answers")
def answer(attempt_id: int, body: AnswersIn, db: DB, actor: CurrentActor) -> dict:
    a = exams.answer(db, actor, attempt_id, body.answers)
    return {"saved": sorted(a.answers), "late": sorted(a.late)}


@router.post("/attempts/{attempt_id}/submit")
def submit(attempt_id: int, body: AnswersIn, db: DB, actor: CurrentActor) -> dict:
    a = exams.submit(db, actor, attempt_id, body.answers or None)
    return {"score": a.score, "correct": a.correct, "late": sorted(a.late)}


@router.get("/attempts/{attempt_id}/review")
def review(attempt_id: int, db: DB, actor: CurrentActor) -> list[dict]:
    return exams.review(db, actor, attempt_id)


@router.post("/rounds/{round_id}/marks")
def marks(round_id: int, body: MarksIn, db: DB, actor: CurrentActor) -> dict:
    s = competitions.submit_marks(db, actor, round_id, [m.model_dump(mode="json") for m in body.marks])
    return {k: v for k, v in s.detail.items() if k != "submitted"}


@router.post("/rounds/{round_id}/sheets")
def sheet(round_id: int, body: SheetIn, db: DB, actor: CurrentActor) -> dict:
    s = competitions.score_sheet(db, actor, round_id, body.contestant_id, body.items)
    return {"points": s.points}


@router.get("/competitions/{competition_id}/results")
def results(competition_id: int, db: DB, actor: CurrentActor) -> dict:
    return competitions.individual_results(db, competition_id) | {"teams": competitions.team_results(db, competition_id)}


#: Sorts of the qualification reminders (the soonest expiry first unless asked otherwise).
REMINDER_SORT = Sort(keys={"expires": [lambda r: r.expires_on], "officer": [lambda r: r.officer],
                           "agency": [lambda r: r.agency], "kind": [lambda r: r.kind]},
                     default="expires", labels={"expires": "有效期至", "officer": "人员", "agency": "单位", "kind": "资格"})


@router.get("/reminders")
def reminders(response: Response, db: DB, actor: CurrentActor, args: ApiList, on: date | None = None) -> PageOf[dict]:
    """One page of the certificates expiring within their reminder window in the caller's
    jurisdiction (soonest first unless ``sort``: expires, officer, agency, kind), with the total
    (also ``X-Total-Count``); ``q`` searches officer, unit and certificate number. Was a bare list
    (API change)."""
    return api_rows(response, quals.reminders(db, actor, on or now().date()), args,
                    search=("officer", "agency", "number"), sort=REMINDER_SORT, out=lambda r: r.__dict__)


@router.get("/summary")
def summary(db: DB, actor: CurrentActor, year: int | None = None) -> dict:
    return training.summary(db, actor.agency_path or "/", year or now().year)
