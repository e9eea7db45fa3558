"""Courses with attendance and hours, and the trainer pool (师资库) / talent pool (人才库) with
entry criteria per level checked against the system's own records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role, scope
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.timeutil import now
from ..registry.models import Agency, Officer
from . import rules
from .models import Attempt, Attendance, Contestant, Course, PoolMember, Qualification
from .quals import officer_for

TOPICS = ("法律法规", "现场执法", "案卷制作", "非现场监管", "采样监测", "无人机", "综合")


def _course_state(c: Course) -> dict:
    return {"agency_id": c.agency_id, "title": c.title, "level": c.level, "topic": c.topic,
            "start_on": c.start_on, "end_on": c.end_on, "hours": c.hours, "trainer_ids": c.trainer_ids}


def create_course(session: Session, actor: Actor, *, agency_id: int, title: str, level: str, start_on: date,
                  end_on: date, hours: float, topic: str = "综合", trainer_ids: list[int] | None = None) -> Course:
    require_role(actor, "admin", "leader")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("机构不存在", code="training.agency_not_found")
    check_agency(actor, agency.path, "该机构")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed("课程名称不能为空且不超过200字", code="training.bad_title")
    if level not in rules.LEVELS:
        raise ValidationFailed("课程级别应为县级、市级、省级或国家级", code="training.bad_level")
    if end_on < start_on:
        raise ValidationFailed("结束日期不能早于开始日期", code="training.bad_dates")
    if not 0 < hours <= 24 * ((end_on - start_on).days + 1):
        raise ValidationFailed("学时应大于0且不超过课程天数×24", code="training.bad_hours")
    trainer_ids = sorted(set(trainer_ids or []))
    for t in trainer_ids:
        if not session.execute(select(PoolMember.id).where(PoolMember.pool == "trainer", PoolMember.officer_id == t,
                                                           PoolMember.active.is_(True))).first():
            raise ValidationFailed(f"授课人 {t} 不在师资库中", code="training.not_a_trainer")
    c = Course(agency_id=agency_id, title=title, level=level, topic=topic, start_on=start_on, end_on=end_on,
               hours=hours, trainer_ids=trainer_ids, created_at=now())
    session.add(c)
    session.flush()
    audit.record(session, actor, "training.course.create", "training_course", c.id, _course_state(c))
    return c


def get_course(session: Session, actor: Actor, course_id: int) -> Course:
    c = session.get(Course, course_id)
    if c is None:
        raise NotFound("课程不存在", code="training.course_not_found")
    ap = actor.agency_path or ""
    if not ap or not (ap == "/" or c.agency.path.startswith(ap) or ap.startswith(c.agency.path)):
        raise PermissionDenied("该课程不在您的管辖范围内", code="auth.out_of_jurisdiction")
    return c


#: Sort keys of the course list (latest first by default).
COURSE_SORT = Sort(
    keys={"start": [Course.start_on], "title": [Course.title], "agency": [Agency.division_code],
          "level": [Course.level], "topic": [Course.topic], "hours": [Course.hours]},
    default="-start", tiebreak=[Course.id.desc()],
    labels={"start": "日期", "title": "课程", "agency": "主办单位", "level": "级别", "topic": "专题", "hours": "学时"})


def _courses_query(session: Session, actor: Actor, *, year: int | None = None, q: str = "", level: str = "",
                   topic: str = "", agency_id: int | None = None):
    """The courses open to the actor: its own unit's and those of the units above it (a provincial
    course is open to counties), narrowed by the list's filters (unknown level or topic: 422)."""
    from ..registry import service as registry

    stmt = select(Course).join(Agency, Course.agency_id == Agency.id)
    if actor.agency_path is None:
        stmt = stmt.where(False)
    elif actor.agency_path != "/":
        ups = [p for p in _prefixes(actor.agency_path)]
        stmt = stmt.where(Agency.path.startswith(actor.agency_path, autoescape=True) | Agency.path.in_(ups))
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if year:
        stmt = stmt.where(Course.start_on >= date(year, 1, 1), Course.start_on <= date(year, 12, 31))
    stmt = where_choice(stmt, Course.level, level, rules.LEVEL_NAMES, "培训级别", "training.bad_level")
    stmt = where_choice(stmt, Course.topic, topic, TOPICS, "培训专题", "training.bad_topic")
    stmt = where_search(stmt, q, Course.title, Agency.name)
    return stmt


def page_courses(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                 **filters) -> Page[Course]:
    """One page of the courses open to the actor (latest first unless ``sort``), with the total."""
    return page_of(session, _courses_query(session, actor, **filters), page, sort=COURSE_SORT, sort_value=sort)


def iter_courses(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Course]:
    return iter_all(session, _courses_query(session, actor, **filters), sort=COURSE_SORT, sort_value=sort)


def list_courses(session: Session, actor: Actor, *, year: int | None = None) -> list[Course]:
    """Every course open to the actor (of ``year``), latest first."""
    return list(iter_courses(session, actor, year=year))


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def record_attendance(session: Session, actor: Actor, course_id: int, officer_id: int, *, hours: float | None = None,
                      passed: bool = True) -> Attendance:
    require_role(actor, "admin", "leader")
    c = get_course(session, actor, course_id)
    check_agency(actor, c.agency.path, "该课程（考勤由主办单位登记）")
    session.get(Officer, officer_id) or _no_officer(officer_id)
    h = c.hours if hours is None else hours
    if not 0 <= h <= c.hours:
        raise ValidationFailed(f"签到学时应在 0–{c.hours:g} 之间", code="training.bad_hours")
    if session.execute(select(Attendance.id).where(Attendance.course_id == c.id,
                                                   Attendance.officer_id == officer_id)).first():
        raise Conflict("该人员已登记本课程的考勤", code="training.attendance_exists")
    a = Attendance(course_id=c.id, officer_id=officer_id, hours=h, passed=passed, recorded_at=now())
    session.add(a)
    session.flush()
    audit.record(session, actor, "training.attendance.record", "training_attendance", a.id,
                 {"course_id": c.id, "officer_id": officer_id, "hours": h, "passed": passed})
    return a


def _no_officer(officer_id: int):
    raise NotFound(f"执法人员 {officer_id} 不存在", code="training.officer_not_found")


def attendance(session: Session, course_id: int) -> list[Attendance]:
    return list(session.execute(select(Attendance).where(Attendance.course_id == course_id)
                                .order_by(Attendance.officer_id)).scalars())


def hours_of(session: Session, officer_id: int, start: date, end: date) -> float:
    return float(session.execute(
        select(func.coalesce(func.sum(Attendance.hours), 0)).join(Course, Attendance.course_id == Course.id)
        .where(Attendance.officer_id == officer_id, Attendance.passed.is_(True),
               Course.end_on >= start, Course.end_on <= end)).scalar_one())


# --- pools ---------------------------------------------------------------------------------------

def _best_exam(session: Session, officer_id: int, start: date, end: date) -> float:
    best = 0.0
    for a in session.execute(select(Attempt).where(Attempt.officer_id == officer_id,
                                                   Attempt.score.is_not(None))).scalars():
        if start <= a.started_at.date() <= end:
            best = max(best, a.score or 0.0)
    return best


def _years_certified(session: Session, officer_id: int, on: date) -> float:
    first = session.execute(select(func.min(Qualification.issued_on)).where(
        Qualification.officer_id == officer_id, Qualification.kind == "enforcement")).scalar_one()
    if first is None:
        return 0.0
    return round((on - first).days / 365.25, 2)


def _courses_taught(session: Session, officer_id: int, start: date, end: date) -> int:
    n = 0
    for c in session.execute(select(Course).where(Course.end_on >= start, Course.end_on <= end)).scalars():
        n += officer_id in (c.trainer_ids or [])
    return n


def _best_rank(session: Session, officer_id: int, start: date, end: date) -> int | None:
    from .competitions import individual_results

    best = None
    for cont in session.execute(select(Contestant).where(Contestant.officer_id == officer_id)).scalars():
        res = individual_results(session, cont.competition_id)
        comp_day = res["held_on"]
        if not start <= comp_day <= end or not res["published"]:
            continue
        for r in res["rows"]:
            if r["officer_id"] == officer_id and r["complete"]:
                best = r["rank"] if best is None else min(best, r["rank"])
    return best


def check_criteria(session: Session, officer_id: int, pool: str, level: str, on: date) -> dict[str, dict]:
    pr = rules.pools()
    if pool not in pr.pools:
        raise ValidationFailed("人才库类别应为 trainer（师资库）或 talent（人才库）", code="training.bad_pool")
    if level not in pr.pools[pool].criteria:
        raise ValidationFailed("级别应为县级、市级、省级或国家级", code="training.bad_level")
    start = on - timedelta(days=365)
    out = {}
    for crit, need in pr.pools[pool].criteria[level].items():
        if crit == "years_certified":
            v = _years_certified(session, officer_id, on)
            ok = v >= need
        elif crit == "training_hours":
            v = hours_of(session, officer_id, start, on)
            ok = v >= need
        elif crit == "best_exam":
            v = _best_exam(session, officer_id, start, on)
            ok = v >= need
        elif crit == "courses_taught":
            v = _courses_taught(session, officer_id, start, on)
            ok = v >= need
        elif crit == "competition_top":
            v = _best_rank(session, officer_id, start, on)
            ok = v is not None and v <= need
        else:
            raise ValidationFailed(f"未知的入库条件 {crit}", code="training.unknown_criterion")
        out[crit] = {"name": pr.criteria_names.get(crit, crit), "value": v, "required": need, "ok": bool(ok)}
    return out


def admit(session: Session, actor: Actor, *, pool: str, officer_id: int, level: str, on: date,
          specialty: str = "") -> PoolMember:
    """Admit an officer to a pool at a level when every entry criterion is met (the checks are kept)."""
    require_role(actor, "admin", "leader")
    officer_for(session, actor, officer_id)
    checks = check_criteria(session, officer_id, pool, level, on)
    failed = [f"{c['name']}：{c['value']}（要求 {c['required']}）" for c in checks.values() if not c["ok"]]
    if failed:
        raise ValidationFailed("不符合入库条件：" + "；".join(failed), code="training.criteria_not_met",
                               details=checks)
    if session.execute(select(PoolMember.id).where(PoolMember.pool == pool, PoolMember.officer_id == officer_id,
                                                   PoolMember.level == level, PoolMember.active.is_(True))).first():
        raise Conflict("该人员已在库中", code="training.already_member")
    m = PoolMember(pool=pool, officer_id=officer_id, level=level, specialty=specialty, admitted_on=on,
                   checks=checks, active=True)
    session.add(m)
    session.flush()
    audit.record(session, actor, "training.pool.admit", "training_pool_member", m.id,
                 {"pool": pool, "officer_id": officer_id, "level": level, "checks": checks})
    return m


def leave(session: Session, actor: Actor, member_id: int, on: date) -> PoolMember:
    require_role(actor, "admin", "leader")
    m = session.get(PoolMember, member_id)
    if m is None or not m.active:
        raise NotFound("库成员不存在或已出库", code="training.member_not_found")
    officer_for(session, actor, m.officer_id)
    m.active, m.left_on = False, on
    audit.record(session, actor, "training.pool.leave", "training_pool_member", m.id, {"left_on": on})
    return m


def pool_members(session: Session, actor: Actor, pool: str, *, level: str = "") -> list[PoolMember]:
    stmt = (select(PoolMember).join(Officer, PoolMember.officer_id == Officer.id)
            .join(Agency, Officer.agency_id == Agency.id).where(PoolMember.pool == pool, PoolMember.active.is_(True)))
    stmt = scope(stmt, actor, Agency.path)
    if level:
        stmt = stmt.where(PoolMember.level == level)
    return list(session.execute(stmt.order_by(PoolMember.level, PoolMember.officer_id)).scalars())


def pool_counts(session: Session, agency_path: str = "/") -> dict[str, dict[str, int]]:
    stmt = (select(PoolMember.pool, PoolMember.level, func.count()).join(Officer, PoolMember.officer_id == Officer.id)
            .join(Agency, Officer.agency_id == Agency.id)
            .where(PoolMember.active.is_(True), Agency.path.startswith(agency_path, autoescape=True))
            .group_by(PoolMember.pool, PoolMember.level))
    out: dict[str, dict[str, int]] = {"trainer": {}, "talent": {}}
    for pool, level, n in session.execute(stmt):
        out.setdefault(pool, {})[level] = n
    return out
