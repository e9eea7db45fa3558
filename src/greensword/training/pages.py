"""培训考试 / 技能比武 / 资格与装备 console pages."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ..core.errors import DomainError, ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import now
from ..registry.models import Agency
from ..webkit.deps import DB, CurrentActor, FormFields
from ..webkit.listing import List, csv_response, xlsx_response
from ..webkit.options import options_response
from ..webkit.templating import NavItem, add_nav, render
from . import bank, competitions, courses, equipment, exams, quals, rules

router = APIRouter(prefix="/training", include_in_schema=False)
add_nav(NavItem("培训考试", "/training", roles=("officer", "reviewer", "leader", "admin", "evaluator"), order=70))

STAFF = ("admin", "leader")
Year = Annotated[int | None, Query(ge=1949, le=2100)]


@router.get("")
def home(request: Request, db: DB, actor: CurrentActor):
    today = now().date()
    mine = []
    if actor.officer_id:
        for e in exams.list_exams(db, actor):
            a = next((x for x in exams.results(db, e.id) if x.officer_id == actor.officer_id), None)
            mine.append((e, a))
    this_year = courses.page_courses(db, actor, year=today.year, page=PageParams(size=20))
    ctx = {"mine": mine, "today": today, "courses": this_year.items, "courses_total": this_year.total,
           "competitions": competitions.page_competitions(db, page=PageParams(size=10)), "levels": rules.LEVEL_NAMES,
           "reminders": quals.reminders(db, actor, today) if actor.has(*STAFF) else [],
           "bank": bank.summary(), "staff": actor.has(*STAFF)}
    if actor.officer_id:
        ctx["my_quals"] = quals.of_officer(db, actor.officer_id)
        ctx["my_hours"] = courses.hours_of(db, actor.officer_id, date(today.year, 1, 1), today)
    return render(request, "training/home.html", ctx)


@router.post("/exams/{exam_id}/start")
def exam_start(exam_id: int, db: DB, actor: CurrentActor):
    a = exams.start(db, actor, exam_id)
    return RedirectResponse(f"/training/attempts/{a.id}", status_code=303)


@router.get("/attempts/{attempt_id}")
def attempt_page(request: Request, attempt_id: int, db: DB, actor: CurrentActor):
    a = exams.get_attempt(db, actor, attempt_id)
    ctx = {"a": a, "paper": exams.paper(a), "now": now()}
    if a.submitted_at is not None:
        ctx["wrong"] = exams.review(db, actor, a.id)
    return render(request, "training/attempt.html", ctx)


@router.post("/attempts/{attempt_id}/submit")
def attempt_submit(request: Request, attempt_id: int, db: DB, actor: CurrentActor, form: FormFields):
    answers = {k[2:]: "".join(form.getlist(k)) for k in form if k.startswith("q_")}
    exams.submit(db, actor, attempt_id, {k: v for k, v in answers.items() if v})
    return RedirectResponse(f"/training/attempts/{attempt_id}", status_code=303)


@router.get("/exams/{exam_id}")
def exam_results(request: Request, exam_id: int, db: DB, actor: CurrentActor):
    from ..core.auth import require_role

    require_role(actor, *STAFF)
    e = exams.get_exam(db, exam_id)
    return render(request, "training/exam.html", {"e": e, "rows": exams.results(db, e.id)})


@router.get("/bank")
def bank_page(request: Request, actor: CurrentActor, law: str = "", form: str = ""):
    qs = [q for q in bank.questions([law] if law else None) if not form or q.form == form]
    return render(request, "training/bank.html", {"summary": bank.summary(), "qs": qs[:200], "total": len(qs),
                                                  "law": law, "form": form})


@router.get("/competitions")
def competitions_page(request: Request, db: DB, actor: CurrentActor, args: List, year: Year = None, level: str = "",
                      status: str = ""):
    """Every competition, paged, searchable, by year, level and status."""
    p = competitions.page_competitions(db, q=args.q, year=year, level=level, status=status, sort=args.sort,
                                       page=args.params)
    return render(request, "training/competitions.html", {
        "p": p, "items": p.items, "q": args.q, "year": year, "level": level, "status": status,
        "levels": rules.LEVEL_NAMES, "statuses": competitions.COMPETITION_STATUS,
        "agencies": {a.id: a.name for a in db.execute(select(Agency).where(Agency.id.in_({c.agency_id for c in p.items})))
                     .scalars()}})


@router.get("/competitions/{competition_id}")
def competition_page(request: Request, competition_id: int, db: DB, actor: CurrentActor, error: str = ""):
    c = competitions.get(db, competition_id)
    rs = competitions.rounds_of(db, c.id)
    me = next((x for x in competitions.contestants(db, c.id) if x.officer_id == actor.officer_id), None)
    judge = next((j for j in competitions.judges(db, c.id) if j.officer_id == actor.officer_id), None)
    marked = {}
    if me:
        from sqlalchemy import select

        from .models import Score

        marked = {s.round_id: s for s in db.execute(select(Score).where(Score.contestant_id == me.id,
                                                                          Score.judge_key == "auto")).scalars()}
    return render(request, "training/competition.html", {
        "c": c, "rounds": rs, "res": competitions.individual_results(db, c.id),
        "teams": competitions.team_results(db, c.id), "me": me, "judge": judge, "marked": marked,
        "contestants": competitions.contestants(db, c.id), "kinds": competitions.KINDS, "error": error})


@router.get("/rounds/{round_id}/dataset.csv")
def dataset_csv(round_id: int, db: DB, actor: CurrentActor):
    """The off-site round's data as hourly-or-minute rows for the contestant (labels never included)."""
    import duckdb

    r = competitions._round(db, round_id)
    if r.kind != "offsite" or not r.dataset:
        raise DomainError("该环节没有数据集", code="training.no_dataset")
    root = competitions.dataset_dir(r.id) / "lake"
    con = duckdb.connect()
    try:
        rel = con.sql(f"select * from read_parquet('{root.as_posix()}/**/*.parquet', union_by_name=true) "
                      "order by all limit 500000")
        import io

        buf = io.StringIO()
        cols = rel.columns
        buf.write(",".join(cols) + "\n")
        for row in rel.fetchall():
            buf.write(",".join("" if v is None else str(v) for v in row) + "\n")
    finally:
        con.close()
    return Response(("\ufeff" + buf.getvalue()).encode(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="offsite-round-{r.id}.csv"'})


@router.post("/rounds/{round_id}/marks")
def marks_submit(round_id: int, db: DB, actor: CurrentActor, marks: str = Form("")):
    """One mark per line: MN, start, end[, kind] (times as 2026-05-01T02:00)."""
    r = competitions._round(db, round_id)
    rows = []
    for line in marks.splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) >= 3 and parts[0]:
            rows.append({"mn": parts[0], "start": parts[1], "end": parts[2], "kind": parts[3] if len(parts) > 3 else ""})
    try:
        competitions.submit_marks(db, actor, round_id, rows)
    except DomainError as exc:
        db.rollback()
        return RedirectResponse(f"/training/competitions/{r.competition_id}?error={exc.message}", status_code=303)
    return RedirectResponse(f"/training/competitions/{r.competition_id}", status_code=303)


@router.post("/rounds/{round_id}/sheet")
def sheet_submit(request: Request, round_id: int, db: DB, actor: CurrentActor, form: FormFields):
    r = competitions._round(db, round_id)
    items = {k[5:]: float(v) for k, v in form.items() if k.startswith("item_") and str(v).strip()}
    try:
        competitions.score_sheet(db, actor, round_id, int(form["contestant_id"]), items)
    except DomainError as exc:
        db.rollback()
        return RedirectResponse(f"/training/competitions/{r.competition_id}?error={exc.message}", status_code=303)
    return RedirectResponse(f"/training/competitions/{r.competition_id}", status_code=303)


def _export(request: Request, fmt: str, name: str, header: list[str], rows, total: int):
    if fmt == "csv":
        return csv_response(request, f"{name}-{now():%Y%m%d}.csv", header, rows, total)
    if fmt == "xlsx":
        return xlsx_response(request, f"{name}-{now():%Y%m%d}.xlsx", name, header, rows, total)
    raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")


def _units(db, actor, agency_id: int | None = None) -> dict:
    """A unit filter or a form's unit: the province/city/county units of the jurisdiction in a
    drop-down, or, when there are more than it holds, only their number and the chosen one (the
    unit picker searches /registry/unit-options within the same jurisdiction)."""
    from ..registry import service as registry
    from ..webkit.templating import templates

    total = registry.count_scope_units(db, actor)
    many = total > templates.env.globals["unit_select_max"]
    chosen = db.get(Agency, agency_id) if many and agency_id is not None else None
    return {"units": [] if many else registry.scope_units(db, actor), "units_total": total,
            "chosen": chosen if chosen is not None and actor.covers(chosen.path) else None}


def _officers(db, actor) -> dict:
    """A form's officer: every active officer of the jurisdiction in a drop-down (was cut at the
    first 500, silently), or, when there are more than it holds, a search (/registry/officer-options)."""
    from ..registry import service as registry
    from ..webkit.templating import templates

    total = registry.count_active_officers(db, actor)
    if total > templates.env.globals["unit_select_max"]:
        return {"officers": [], "officers_total": total}
    return {"officers": registry.list_officers(db, actor, active=True, page=PageParams(size=total or 1),
                                               sort="name").items, "officers_total": total}


def _course_filters(args, year, level, topic, agency_id) -> dict:
    return {"q": args.q, "year": year, "level": level, "topic": topic, "agency_id": agency_id}


@router.get("/courses")
def courses_page(request: Request, db: DB, actor: CurrentActor, args: List, year: Year = None, level: str = "",
                 topic: str = "", agency_id: int | None = None):
    p = courses.page_courses(db, actor, **_course_filters(args, year, level, topic, agency_id), sort=args.sort,
                             page=args.params)
    return render(request, "training/courses.html", {
        "p": p, "q": args.q, "year": year, "level": level, "topic": topic, "agency_id": agency_id,
        "levels": rules.LEVEL_NAMES, "topics": courses.TOPICS, **_units(db, actor, agency_id)})


COURSE_HEADER = ["课程编号", "课程", "主办单位", "级别", "专题", "开始日期", "结束日期", "学时"]


@router.get("/courses.{fmt}")
def courses_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, year: Year = None,
                   level: str = "", topic: str = "", agency_id: int | None = None):
    filters = _course_filters(args, year, level, topic, agency_id)
    total = courses.page_courses(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        for c in courses.iter_courses(session, actor, sort=args.sort, **filters):
            yield [c.id, c.title, c.agency.name, rules.LEVEL_NAMES.get(c.level, c.level), c.topic,
                   c.start_on.isoformat(), c.end_on.isoformat(), c.hours]

    return _export(request, fmt, "培训课程", COURSE_HEADER, rows, total)


def _equipment_filters(args, kind, status, agency_id) -> dict:
    return {"q": args.q, "kind": kind, "status": status, "agency_id": agency_id}


@router.get("/equipment")
def equipment_page(request: Request, db: DB, actor: CurrentActor, args: List, kind: str = "", status: str = "",
                   agency_id: int | None = None):
    p = equipment.page_equipment(db, actor, **_equipment_filters(args, kind, status, agency_id), sort=args.sort,
                                 page=args.params)
    root = actor.agency_path or "/"
    return render(request, "training/equipment.html", {
        "p": p, "items": p.items, "kinds": equipment.KINDS, "kind": kind, "status": status, "q": args.q,
        "agency_id": agency_id, **_units(db, actor, agency_id), "statuses": equipment.STATUSES,
        "counts": equipment.counts(db, root, year=now().year)})


EQUIPMENT_HEADER = ["单位", "类别", "型号", "编号", "购置日期", "状态"]


@router.get("/equipment.{fmt}")
def equipment_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, kind: str = "",
                     status: str = "", agency_id: int | None = None):
    filters = _equipment_filters(args, kind, status, agency_id)
    total = equipment.page_equipment(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total

    def rows(session):
        for e in equipment.iter_equipment(session, actor, sort=args.sort, **filters):
            yield [e.agency.name, equipment.KINDS.get(e.kind, e.kind), e.model, e.serial, e.acquired_on.isoformat(),
                   equipment.STATUSES.get(e.status, e.status)]

    return _export(request, fmt, "执法装备", EQUIPMENT_HEADER, rows, total)


def _qual_filters(args, kind, state, agency_id) -> dict:
    return {"q": args.q, "kind": kind, "state": state, "agency_id": agency_id, "on": now().date()}


@router.get("/qualifications")
def quals_page(request: Request, db: DB, actor: CurrentActor, args: List, kind: str = "", state: str = "",
               agency_id: int | None = None):
    from ..core.auth import require_role

    require_role(actor, *STAFF)
    p = quals.page_qualifications(db, actor, **_qual_filters(args, kind, state, agency_id), sort=args.sort,
                                  page=args.params)
    return render(request, "training/qualifications.html", {
        "p": p, "q": args.q, "kind": kind, "state": state, "agency_id": agency_id, **_units(db, actor, agency_id),
        "kinds": {k: v.name for k, v in rules.qualifications().kinds.items()}, "states": quals.QUAL_STATES,
        "state_on": quals.state_on, "today": now().date()})


QUAL_HEADER = ["人员", "单位", "资格", "证号", "发证机关", "发证日期", "有效期至", "状态", "注销日期", "注销原因"]


@router.get("/qualifications.{fmt}")
def quals_export(request: Request, fmt: str, db: DB, actor: CurrentActor, args: List, kind: str = "",
                 state: str = "", agency_id: int | None = None):
    from ..core.auth import require_role

    require_role(actor, *STAFF)
    filters = _qual_filters(args, kind, state, agency_id)
    total = quals.page_qualifications(db, actor, **filters, sort=args.sort, page=PageParams(size=1)).total
    names = {k: v.name for k, v in rules.qualifications().kinds.items()}
    day = now().date()

    def rows(session):
        for q in quals.iter_qualifications(session, actor, sort=args.sort, **filters):
            yield [q.officer.name, q.officer.agency.name, names.get(q.kind, q.kind), q.number, q.issuer,
                   q.issued_on.isoformat(), q.expires_on.isoformat() if q.expires_on else "长期",
                   quals.QUAL_STATES[quals.state_on(q, day)], q.revoked_on.isoformat() if q.revoked_on else "",
                   q.revoke_reason]

    return _export(request, fmt, "执法资格", QUAL_HEADER, rows, total)


@router.get("/pools")
def pools_page(request: Request, db: DB, actor: CurrentActor, pool: str = "trainer"):
    pr = rules.pools()
    return render(request, "training/pools.html", {"members": courses.pool_members(db, actor, pool), "pool": pool,
                                                   "rules": pr, "levels": rules.LEVEL_NAMES})


def _parse_dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


# --- staff console: the writes (each through a service function, audited there) -------------

def _back(ok: str = "", error: str = "", anchor: str = "") -> RedirectResponse:
    from urllib.parse import urlencode

    q = urlencode({k: v for k, v in (("ok", ok), ("error", error)) if v})
    return RedirectResponse(f"/training/manage?{q}{'#' + anchor if anchor else ''}", status_code=303)


def _run(db, fn, ok: str, anchor: str):
    try:
        fn()
    except DomainError as exc:
        db.rollback()
        return _back(error=exc.message, anchor=anchor)
    return _back(ok=ok, anchor=anchor)


def _form_lists(db, actor) -> dict:
    """The attendance form's courses and the use form's equipment: all of the jurisdiction's (were
    cut at the latest 50 courses and the first 500 devices, silently), or, when there are more than
    a drop-down holds, a search (/training/manage/course-options, /training/manage/equipment-options)."""
    from ..webkit.templating import templates

    cap = templates.env.globals["unit_select_max"]
    n_courses = courses.page_courses(db, actor, page=PageParams(size=1)).total
    n_equipment = equipment.page_equipment(db, actor, page=PageParams(size=1)).total
    return {"courses": courses.page_courses(db, actor, page=PageParams(size=n_courses)).items
            if 0 < n_courses <= cap else [], "courses_total": n_courses,
            "equipment": equipment.page_equipment(db, actor, sort="agency", page=PageParams(size=n_equipment)).items
            if 0 < n_equipment <= cap else [], "equipment_total": n_equipment}


#: How many courses / devices a typed search offers at most (type more to narrow).
FORM_OPTIONS = 30


def _options_html(blank: str, rows: list[tuple[int, str]], q: str, none_text: str) -> HTMLResponse:
    return options_response(blank, rows, q, none_text=none_text, cap=FORM_OPTIONS)


@router.get("/manage/course-options")
def course_options(db: DB, actor: CurrentActor, course_q: Annotated[str, Query(max_length=40)] = ""):
    """``<option>``s for the attendance form's course as one types: the jurisdiction's courses whose
    title contains the text (latest first, at most 30)."""
    from ..core.auth import require_role

    require_role(actor, *STAFF)
    q = course_q.strip()
    found = courses.page_courses(db, actor, q=q, page=PageParams(size=FORM_OPTIONS)).items if q else []
    return _options_html("请选择课程", [(c.id, f"{c.start_on} {c.title}") for c in found], q, "本辖区无匹配的课程")


@router.get("/manage/equipment-options")
def equipment_options(db: DB, actor: CurrentActor, equipment_q: Annotated[str, Query(max_length=40)] = ""):
    """``<option>``s for the use form's device as one types: the jurisdiction's equipment whose
    serial number, model or unit contains the text (at most 30)."""
    from ..core.auth import require_role

    require_role(actor, *STAFF)
    q = equipment_q.strip()
    found = equipment.page_equipment(db, actor, q=q, sort="agency", page=PageParams(size=FORM_OPTIONS)).items if q else []
    return _options_html("请选择装备", [(e.id, f"{equipment.KINDS.get(e.kind, e.kind)} {e.serial}（{e.agency.name}）")
                                       for e in found], q, "本辖区无匹配的装备")


#: exams and competitions the management page lists (the latest; the rest are counted and linked)
MANAGE_EXAMS, MANAGE_COMPETITIONS = 50, 20


@router.get("/manage")
def manage(request: Request, db: DB, actor: CurrentActor, ok: str = "", error: str = ""):
    from ..core.auth import require_role

    require_role(actor, *STAFF)
    # the page manages the latest ones and says how many there are (the full list is linked)
    all_exams, all_comps = exams.list_exams(db, actor, limit=None), competitions.list_competitions(db)
    return render(request, "training/manage.html", {
        "ok": ok, "error": error, **_officers(db, actor), **_units(db, actor), "levels": rules.LEVEL_NAMES,
        **_form_lists(db, actor), "exams": all_exams[:MANAGE_EXAMS], "exams_total": len(all_exams),
        "competitions": all_comps[:MANAGE_COMPETITIONS], "competitions_total": len(all_comps),
        "kinds": equipment.KINDS, "laws": bank.laws(), "topics": courses.TOPICS, "today": now().date(),
        "qual_kinds": {k: v.name for k, v in rules.qualifications().kinds.items()}})


@router.post("/manage/qualifications")
def m_qual(db: DB, actor: CurrentActor, officer_id: int = Form(...), kind: str = Form(...), number: str = Form(...),
           issued_on: date = Form(...), expires_on: str = Form("")):
    return _run(db, lambda: quals.issue(db, actor, officer_id=officer_id, kind=kind, number=number, issued_on=issued_on,
                                        expires_on=date.fromisoformat(expires_on) if expires_on else None),
                "资格已登记", "quals")


@router.post("/manage/courses")
def m_course(db: DB, actor: CurrentActor, agency_id: int = Form(...), title: str = Form(...), level: str = Form(...),
             start_on: date = Form(...), end_on: date = Form(...), hours: float = Form(...), topic: str = Form("综合")):
    return _run(db, lambda: courses.create_course(db, actor, agency_id=agency_id, title=title, level=level,
                                                  start_on=start_on, end_on=end_on, hours=hours, topic=topic),
                "课程已创建", "courses")


@router.post("/manage/attendance")
def m_attend(db: DB, actor: CurrentActor, course_id: int = Form(...), officer_id: int = Form(...),
             hours: str = Form("")):
    return _run(db, lambda: courses.record_attendance(db, actor, course_id, officer_id,
                                                      hours=float(hours) if hours else None), "考勤已登记", "courses")


@router.post("/manage/pools")
def m_pool(db: DB, actor: CurrentActor, pool: str = Form(...), officer_id: int = Form(...), level: str = Form(...),
           specialty: str = Form("")):
    return _run(db, lambda: courses.admit(db, actor, pool=pool, officer_id=officer_id, level=level, on=now().date(),
                                          specialty=specialty), "已入库", "pools")


@router.post("/manage/exams")
def m_exam(request: Request, db: DB, actor: CurrentActor, agency_id: int = Form(...), title: str = Form(...),
           level: str = Form(...), opens_on: date = Form(...), closes_on: date = Form(...),
           laws: list[str] = Form(default=[])):
    return _run(db, lambda: exams.create_exam(db, actor, agency_id=agency_id, title=title, level=level,
                                              opens_on=opens_on, closes_on=closes_on, laws=laws), "考试已创建", "exams")


@router.post("/manage/competitions")
def m_comp(db: DB, actor: CurrentActor, agency_id: int = Form(...), title: str = Form(...), level: str = Form(...),
           held_on: date = Form(...)):
    return _run(db, lambda: competitions.create(db, actor, agency_id=agency_id, title=title, level=level,
                                                held_on=held_on), "比武已创建（默认环节与权重）", "comps")


@router.post("/manage/competitions/{competition_id}/people")
def m_people(competition_id: int, db: DB, actor: CurrentActor, officer_id: int = Form(...), role: str = Form(...)):
    fn = competitions.add_judge if role == "judge" else competitions.add_contestant
    return _run(db, lambda: fn(db, actor, competition_id, officer_id), "已添加", "comps")


@router.post("/manage/competitions/{competition_id}/setup")
def m_setup(competition_id: int, db: DB, actor: CurrentActor, exam_id: str = Form(""), seed: int = Form(1),
            start: date = Form(...)):
    def go():
        for r in competitions.rounds_of(db, competition_id):
            if r.kind == "theory" and exam_id:
                competitions.link_exam(db, actor, r.id, int(exam_id))
            elif r.kind == "offsite":
                competitions.prepare_offsite(db, actor, r.id, seed=seed, start=start, points=6, days=3)
    return _run(db, go, "理论考试已关联，非现场筛查数据集已生成", "comps")


@router.post("/manage/competitions/{competition_id}/publish")
def m_publish(competition_id: int, db: DB, actor: CurrentActor):
    return _run(db, lambda: competitions.publish(db, actor, competition_id), "成绩已发布", "comps")


@router.post("/manage/equipment")
def m_equip(db: DB, actor: CurrentActor, agency_id: int = Form(...), kind: str = Form(...), model: str = Form(""),
            serial: str = Form(...), acquired_on: date = Form(...)):
    return _run(db, lambda: equipment.add(db, actor, agency_id=agency_id, kind=kind, model=model, serial=serial,
                                          acquired_on=acquired_on), "装备已登记", "equip")


@router.post("/manage/equipment/use")
def m_use(db: DB, actor: CurrentActor, equipment_id: int = Form(...), officer_id: int = Form(...),
          started_at: str = Form(...), ended_at: str = Form(...), purpose: str = Form(""),
          inspection_task_id: str = Form("")):
    return _run(db, lambda: equipment.log_use(db, actor, equipment_id, officer_id=officer_id,
                                              started_at=_parse_dt(started_at), ended_at=_parse_dt(ended_at),
                                              purpose=purpose,
                                              inspection_task_id=int(inspection_task_id) if inspection_task_id else None),
                "使用记录已登记", "equip")
