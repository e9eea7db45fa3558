"""Self-checks (自查): the firm goes through its industry's inspection checklist (the same 一单 as
on-site inspections, read through inspection.service) once per period (rules/portal/selfcheck.yaml:
monthly for key dischargers …), with photos. Each problem becomes the firm's own rectification
item. A self-check that finds no problem for a period in which the point's data had exceedance
leads contradicts the data and becomes an off-site lead itself (offsite.service)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, get_in_scope, scope
from ..core.errors import Conflict, PermissionDenied, ValidationFailed
from ..core.locks import lock_row
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_search
from ..core.timeutil import TZ, now
from ..inspection import service as inspection
from ..offsite import service as offsite
from ..registry.models import Agency, Enterprise
from . import rectify, rules, uploads
from .models.selfchecks import SelfCheck
from .notify import notify

RESULTS = {"ok": "符合", "problem": "存在问题", "na": "不适用"}


def period(ent: Enterprise, day: date) -> tuple[date, date, str]:
    """The self-check period containing ``day`` for this firm: calendar-aligned blocks of the
    schedule's months (monthly, quarterly, half-yearly), and the schedule's name."""
    return _period(rules.selfcheck(), ent.industry_code or "", bool(ent.key_polluter), bool(ent.positive_list), day)


def _period(schedule, industry: str, key: bool, positive: bool, day: date) -> tuple[date, date, str]:
    s = schedule.period_for(industry, key, positive)
    first_month = (day.month - 1) // s.months * s.months + 1
    start = date(day.year, first_month, 1)
    k = day.year * 12 + first_month - 1 + s.months
    end = date(k // 12, k % 12 + 1, 1) - timedelta(days=1)
    return start, end, f"{s.name}每{'月' if s.months == 1 else f'{s.months}个月'}一次"


def checklist(ent: Enterprise):
    return inspection.checklist_for(ent.industry_code or "")


def _own(session: Session, actor: Actor) -> Enterprise:
    if not actor.is_enterprise or actor.enterprise_id is None:
        raise PermissionDenied("自查由企业用户提交", code="portal.enterprise_only")
    return session.get(Enterprise, actor.enterprise_id)


def current(session: Session, actor: Actor, day: date | None = None) -> tuple[date, date, str, SelfCheck | None]:
    ent = _own(session, actor)
    start, end, label = period(ent, day or now().date())
    done = session.execute(select(SelfCheck).where(SelfCheck.enterprise_id == ent.id,
                                                   SelfCheck.period_start == start)).scalar_one_or_none()
    return start, end, label, done


def submit(session: Session, actor: Actor, *, results: dict[str, str], notes: dict[str, str], note: str,
           files: list[uploads.Upload], at: datetime | None = None) -> SelfCheck:
    ent = _own(session, actor)
    t = at or now()
    start, end, _ = period(ent, t.date())
    cl = checklist(ent)
    missing = [i.text for i in cl.items if results.get(i.code) not in RESULTS]
    if missing:
        raise ValidationFailed(f"以下检查事项未填写结论：{'、'.join(missing)}", code="portal.selfcheck_incomplete")
    unexplained = [i.text for i in cl.items if results[i.code] == "problem" and not (notes.get(i.code) or "").strip()]
    if unexplained:
        raise ValidationFailed(f"存在问题的事项须说明问题：{'、'.join(unexplained)}", code="portal.selfcheck_no_note")
    lock_row(session, Enterprise, ent.id)         # once per period, also when submitted twice at once
    if session.execute(select(SelfCheck.id).where(SelfCheck.enterprise_id == ent.id,
                                                  SelfCheck.period_start == start)).first():
        raise Conflict(f"本期（{start} 至 {end}）自查已提交", code="portal.selfcheck_done")
    stored = uploads.store(files)
    if not stored:
        raise ValidationFailed("请上传现场照片（至少一张）", code="portal.no_evidence")
    sc = SelfCheck(enterprise_id=ent.id, agency_id=ent.agency_id, period_start=start, period_end=end,
                   checklist_name=cl.name, items={i.code: {"text": i.text, "basis": i.basis, "result": results[i.code],
                                                           "note": (notes.get(i.code) or "").strip()}
                                                  for i in cl.items},
                   files=stored, note=(note or "").strip(), submitted_at=t, submitted_by=actor.username,
                   contradicts_data=False)
    session.add(sc)
    session.flush()
    due = t.date() + timedelta(days=rules.selfcheck().findings_due_days)
    problems = [(code, v) for code, v in sc.items.items() if v["result"] == "problem"]
    for code, v in problems:
        rectify.create(session, actor, enterprise=ent, source="selfcheck", source_ref=f"selfcheck:{sc.id}:{code}",
                       kind="selfcheck", title=f"自查发现问题：{v['text']}", detail=v["note"], due_on=due,
                       at=t)
    if not problems:
        lo = datetime.combine(start, time(0), TZ)
        hi = min(t, datetime.combine(end + timedelta(days=1), time(0), TZ))
        leads = offsite.exceedance_leads(session, ent.id, lo, hi)
        if leads:
            sc.contradicts_data = True
            first = leads[0]
            offsite.lead_from_selfcheck(
                session, actor.username, mn=first.mn, factor=first.factor, start=lo, end=hi,
                explanation=(f"{ent.name}于 {t:%Y-%m-%d} 提交的自查（{start} 至 {end}）结论为未发现问题，"
                             f"但同期自动监测数据有 {len(leads)} 条超标线索（线索 "
                             f"{'、'.join(str(x.id) for x in leads[:10])}）"),
                evidence={"selfcheck_id": sc.id, "leads": [x.id for x in leads]})
    audit.record(session, actor, "portal.selfcheck.submit", "portal_selfcheck", sc.id,
                 {"enterprise": ent.id, "period": start.isoformat(), "problems": [c for c, _ in problems],
                  "files": [f["sha256"] for f in stored], "contradicts_data": sc.contradicts_data})
    found = f"发现 {len(problems)} 个问题" if problems else "未发现问题"
    notify(session, audience="agency", enterprise_id=ent.id, agency_id=ent.agency_id,
           title=f"{ent.name}提交自查：{found}"
                 + ("（与监测数据矛盾，已生成线索）" if sc.contradicts_data else ""),
           link=f"/portal/selfchecks/{sc.id}", at=t)
    return sc


def get_check(session: Session, actor: Actor, check_id: int) -> SelfCheck:
    return get_in_scope(session, actor, SelfCheck, check_id, what="自查记录", code="portal.selfcheck_not_found",
                        path=lambda s: s.agency.path, enterprise=lambda s: s.enterprise_id)


#: Sort keys of the self-check list (latest submission first by default).
SELFCHECK_SORT = Sort(
    keys={"submitted": [SelfCheck.submitted_at], "period": [SelfCheck.period_start], "enterprise": [Enterprise.name],
          "agency": [Agency.division_code]},
    default="-submitted", tiebreak=[SelfCheck.id.desc()],
    labels={"submitted": "提交时间", "period": "期间", "enterprise": "企业", "agency": "属地"})


def _checks_query(session: Session, actor: Actor, *, q: str = "", agency_id: int | None = None,
                  year: int | None = None, contradicts: bool = False):
    """The self-checks the actor may see (a firm its own), narrowed by the list's filters: a search
    of the firm's name and code, the unit, the period's year, only those contradicting the data."""
    from ..registry import service as registry

    stmt = scope(select(SelfCheck).join(Agency, SelfCheck.agency_id == Agency.id)
                 .join(Enterprise, SelfCheck.enterprise_id == Enterprise.id), actor, Agency.path,
                 SelfCheck.enterprise_id)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if year:
        stmt = stmt.where(SelfCheck.period_start >= date(year, 1, 1), SelfCheck.period_start <= date(year, 12, 31))
    if contradicts:
        stmt = stmt.where(SelfCheck.contradicts_data.is_(True))
    return where_search(stmt, q, Enterprise.name, Enterprise.uscc)


def page_checks(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                **filters) -> Page[SelfCheck]:
    """One page of the self-checks the actor may see (latest first unless ``sort``), with the total."""
    return page_of(session, _checks_query(session, actor, **filters), page, sort=SELFCHECK_SORT, sort_value=sort)


def iter_checks(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[SelfCheck]:
    """Every self-check of the list's filters in the list's order, read in batches (exports)."""
    return iter_all(session, _checks_query(session, actor, **filters), sort=SELFCHECK_SORT, sort_value=sort)


def problems(sc: SelfCheck) -> int:
    return sum(1 for v in (sc.items or {}).values() if v.get("result") == "problem")


def evidence_file(session: Session, actor: Actor, check_id: int, sha: str) -> tuple[dict, bytes]:
    from ..core.errors import NotFound

    sc = get_check(session, actor, check_id)
    for f in sc.files or []:
        if f["sha256"] == sha:
            return f, uploads.read(sha)
    raise NotFound("该自查没有这份照片", code="portal.file_not_found")


@dataclass
class Completion:
    agency_id: int
    name: str
    due: int = 0
    done: int = 0
    with_problems: int = 0
    contradicting: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.done / self.due, 4) if self.due else None


def completion(session: Session, actor: Actor, day: date | None = None) -> list[Completion]:
    """Per county in the actor's jurisdiction: firms due a self-check in their current period and
    how many have submitted it."""
    day = day or now().date()
    counties = scope(select(Agency).where(Agency.level == "county"), actor, Agency.path)
    out = {a.id: Completion(a.id, a.name) for a in session.execute(counties.order_by(Agency.division_code)).scalars()}
    if not out:
        return []
    # counted per county and kind of firm in the database, one schedule look-up per kind: a
    # province has tens of thousands of firms but a few hundred (county, kind) groups
    groups = session.execute(select(Enterprise.agency_id, Enterprise.industry_code, Enterprise.key_polluter,
                                    Enterprise.positive_list, func.count())
                             .where(Enterprise.agency_id.in_(out))
                             .group_by(Enterprise.agency_id, Enterprise.industry_code, Enterprise.key_polluter,
                                       Enterprise.positive_list)).all()
    schedule, kinds = rules.selfcheck(), {}

    def start_of(industry, key_polluter, positive) -> date:
        kind = (industry or "", bool(key_polluter), bool(positive))
        if kind not in kinds:
            kinds[kind] = _period(schedule, *kind, day)[0]
        return kinds[kind]

    for agency_id, industry, key_polluter, positive, n in groups:
        start_of(industry, key_polluter, positive)
        out[agency_id].due += n
    if not groups:
        return list(out.values())
    # the self-checks of the firms' current periods (the latest one per firm counts)
    done: dict[int, tuple] = {}
    for row in session.execute(select(SelfCheck.enterprise_id, SelfCheck.period_start, SelfCheck.items,
                                      SelfCheck.contradicts_data, Enterprise.agency_id, Enterprise.industry_code,
                                      Enterprise.key_polluter, Enterprise.positive_list)
                               .join(Enterprise, Enterprise.id == SelfCheck.enterprise_id)
                               .where(SelfCheck.agency_id.in_(out), Enterprise.agency_id.in_(out),
                                      SelfCheck.period_start >= min(kinds.values()))
                               .order_by(SelfCheck.id)):
        if start_of(*row[5:8]) == row.period_start:
            done[row.enterprise_id] = row
    for row in done.values():
        c = out[row.agency_id]
        c.done += 1
        c.with_problems += any(v["result"] == "problem" for v in (row.items or {}).values())
        c.contradicting += row.contradicts_data
    return list(out.values())
