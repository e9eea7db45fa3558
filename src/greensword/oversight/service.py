"""执法稽查: audits of subordinate units by the province or city (稽查—反馈—整改—回头看).

An annual plan selects units by data metrics read through the other domains' services (cases per
100 enterprises, overdue case steps, case-file review scores, inspection coverage, complaint
on-time replies; each metric explained, rules/oversight/selection.yaml) plus seeded random picks;
a team from outside the audited unit pulls case files and inspection records and re-checks
enterprises the unit inspected; findings are graded as in EPA's State Review Framework (meets /
needs attention / needs improvement) with recommendations and deadlines, sent in a feedback letter
(.docx); the unit reports its rectification; the 回头看 follow-up verifies and closes each
recommendation, overdue ones escalate. :func:`indicator` and :func:`statistics` feed evaluation and
the dashboard."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..cases import service as cases
from ..complaint import service as complaints
from ..core import audit, cache
from ..core.auth import Actor, require_role, scope
from ..core.calendar import add_days
from ..core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.models import User
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.rules import Source, load
from ..core.timeutil import now, today
from ..inspection import service as inspection
from ..registry.models import Agency, Enterprise
from ..review import service as review
from ..transfer import service as transfers
from .models import AuditPlan, AuditUnit, FilePull, Finding

_UNIT_AGENCY = aliased(Agency, name="unit_agency")     # the audited unit
_PLAN_AGENCY = aliased(Agency, name="plan_agency")     # the auditing agency (the plan's)

GRADE_POINTS = {"meets": 0, "attention": 4, "improvement": 10}
FINDING_STATUS = {"none": "无需整改", "open": "待制定整改方案", "planned": "整改中", "reported": "已报告待回头看",
                  "closed": "已销号"}
UNIT_STATUS = {"selected": "已选定", "fieldwork": "现场稽查", "feedback": "已反馈整改中", "closed": "已闭环"}
FILE_KINDS = {"case": "调阅案卷", "record": "调阅检查记录", "recheck": "复查已检查企业"}


class Metric(BaseModel):
    label: str
    explain: str
    flag_below: float | None = None
    flag_at_least: float | None = None

    def flagged(self, value: float | None) -> bool:
        if value is None:
            return False
        if self.flag_below is not None and value < self.flag_below:
            return True
        return self.flag_at_least is not None and value >= self.flag_at_least


class Selection(BaseModel):
    max_by_metrics: int
    random_picks: int
    min_team: int
    files_per_unit: dict[str, int]


class FollowupRules(BaseModel):
    rectification_days: int
    escalate_after_days: int


class Rules(BaseModel):
    source: Source
    metrics: dict[str, Metric]
    selection: Selection
    grades: dict[str, str]
    followup: FollowupRules


def rules() -> Rules:
    return load("oversight/selection.yaml", Rules)


def _rank(seed: str, key: str) -> str:
    return hashlib.sha256(f"{seed}|{key}".encode()).hexdigest()


def _text(value: str, what: str, limit: int = 2000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{what}", code="oversight.required")
    if len(value) > limit:
        raise ValidationFailed(f"{what}不得超过 {limit} 字", code="oversight.too_long")
    return value


# --- plans and selection -------------------------------------------------------------------------

def plan_state(p: AuditPlan) -> dict:
    return {"agency_id": p.agency_id, "year": p.year, "name": p.name, "seed": p.seed, "status": p.status,
            "metrics_sha": audit.digest(p.metrics)}


def create_plan(session: Session, actor: Actor, *, agency_id: int, year: int, name: str, seed: str = "") -> AuditPlan:
    require_role(actor, "leader", "admin")
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="oversight.agency_not_found")
    if a.level not in ("province", "city"):
        raise ValidationFailed("稽查计划由省级或市级生态环境部门制定", code="oversight.bad_level")
    if not actor.covers(a.path):
        raise PermissionDenied("只能为本机构或下级机构制定稽查计划", code="auth.out_of_jurisdiction")
    if not 2000 <= year <= today().year + 1:
        raise ValidationFailed(f"年度 {year} 不合理", code="oversight.bad_year")
    p = AuditPlan(agency_id=a.id, year=year, name=_text(name, "计划名称", 200), seed=(seed or "").strip()[:200],
                  status="draft", metrics=[], created_at=now())
    session.add(p)
    session.flush()
    session.refresh(p)
    audit.record(session, actor, "oversight.plan.create", "oversight_plan", p.id, plan_state(p))
    return p


def get_plan(session: Session, actor: Actor, plan_id: int) -> AuditPlan:
    p = session.get(AuditPlan, plan_id)
    if p is None:
        raise NotFound(f"稽查计划 {plan_id} 不存在", code="oversight.plan_not_found")
    if not actor.covers(p.agency.path):
        raise PermissionDenied("该稽查计划不在您的管辖范围内", code="auth.out_of_jurisdiction")
    return p


#: Sort keys of the audit plan list (latest year first by default).
PLAN_SORT = Sort(keys={"year": [AuditPlan.year], "name": [AuditPlan.name], "agency": [_PLAN_AGENCY.division_code],
                       "status": [AuditPlan.status]},
                 default="-year", tiebreak=[AuditPlan.id.desc()],
                 labels={"year": "年度", "name": "计划", "agency": "稽查机关", "status": "状态"})


def page_plans(session: Session, actor: Actor, *, year: int | None = None, q: str = "", sort: str = "",
               page: PageParams | None = None) -> Page[AuditPlan]:
    """One page of the audit plans of agencies in the actor's jurisdiction, with the total."""
    stmt = scope(select(AuditPlan).join(_PLAN_AGENCY, AuditPlan.agency_id == _PLAN_AGENCY.id), actor,
                 _PLAN_AGENCY.path)
    if year:
        stmt = stmt.where(AuditPlan.year == year)
    stmt = where_search(stmt, q, AuditPlan.name, _PLAN_AGENCY.name)
    return page_of(session, stmt, page, sort=PLAN_SORT, sort_value=sort)


def list_plans(session: Session, actor: Actor) -> list[AuditPlan]:
    if actor.is_enterprise or actor.agency_path is None:
        return []
    rows = session.execute(select(AuditPlan).order_by(AuditPlan.year.desc(), AuditPlan.id.desc())).scalars()
    return [p for p in rows if actor.covers(p.agency.path)]


def unit_metrics(session: Session, actor: Actor, plan: AuditPlan, on: date | None = None) -> list[dict]:
    """Every county under the plan's agency with its metrics (read through the domains' services)
    and the metrics that flag it."""
    on = on or today()
    r = rules()
    units = list(session.execute(select(Agency).where(
        Agency.level == "county", Agency.path.startswith(plan.agency.path, autoescape=True))
        .order_by(Agency.division_code)).scalars())
    start, end = date(plan.year, 1, 1), date(plan.year, 12, 31)
    filed: dict[int, int] = {}
    for c in cases.list_cases(session, actor, limit=1_000_000):
        if start <= c.discovered_on <= end:
            filed[c.agency_id] = filed.get(c.agency_id, 0) + 1
    overdue: dict[int, int] = {}
    for c, _due in cases.overdue(session, actor, min(on, end), limit=1_000_000):
        overdue[c.agency_id] = overdue.get(c.agency_id, 0) + 1
    enterprises = dict(session.execute(select(Enterprise.agency_id, func.count()).group_by(Enterprise.agency_id)).all())
    quality = review.quality_by_unit(session, plan.year)
    coverage = {row["division_code"]: row["coverage_rate"] for row in inspection.statistics(session, actor,
                                                                                            year=plan.year)}
    on_time = {row["agency_id"]: row["on_time_rate"] for row in complaints.statistics(session, actor, year=plan.year,
                                                                                      on=on)}
    out = []
    for u in units:
        n_ent = enterprises.get(u.id, 0)
        values = {"cases_per_100": round(filed.get(u.id, 0) * 100 / n_ent, 2) if n_ent else None,
                  "overdue_steps": overdue.get(u.id, 0), "review_score": quality.get(u.id),
                  "coverage": coverage.get(u.division_code), "complaint_on_time": on_time.get(u.id)}
        flags = [k for k, m in r.metrics.items() if m.flagged(values.get(k))]
        out.append({"agency_id": u.id, "name": u.name, "division_code": u.division_code, "metrics": values,
                    "flags": flags})
    return out


def select_units(session: Session, actor: Actor, plan_id: int, *, seed: str | None = None,
                 on: date | None = None) -> list[AuditUnit]:
    """Units flagged by the most metrics (up to the limit), then seeded random picks among the rest."""
    require_role(actor, "leader", "admin")
    p = get_plan(session, actor, plan_id)
    if p.status != "draft":
        raise IllegalTransition("该计划已选定被稽查单位，不能重新选取", code="oversight.already_selected")
    p.seed = (seed or p.seed or "").strip()
    if not p.seed:
        raise ValidationFailed("请填写随机抽取的公开种子（如摇号现场号码）", code="oversight.no_seed")
    rows = unit_metrics(session, actor, p, on)
    if not rows:
        raise ValidationFailed("该机构下没有可稽查的县级单位", code="oversight.no_units")
    sel = rules().selection
    flagged = sorted([x for x in rows if x["flags"]], key=lambda x: (-len(x["flags"]), x["division_code"]))
    chosen = flagged[: sel.max_by_metrics]
    rest = sorted([x for x in rows if x not in chosen], key=lambda x: _rank(p.seed, x["division_code"]))
    picks = [(x, "metrics") for x in chosen] + [(x, "random") for x in rest[: sel.random_picks]]
    units = []
    for x, reason in picks:
        u = AuditUnit(plan_id=p.id, agency_id=x["agency_id"], reason=reason, flags=x["flags"], team=[],
                      status="selected")
        session.add(u)
        units.append(u)
    p.metrics, p.status = rows, "selected"
    session.flush()
    audit.record(session, actor, "oversight.plan.select", "oversight_plan", p.id, plan_state(p),
                 note="、".join(x["name"] for x, _ in picks))
    for u in units:
        audit.record(session, actor, "oversight.unit.select", "oversight_unit", u.id, unit_state(u))
    return units


# --- units ---------------------------------------------------------------------------------------

def unit_state(u: AuditUnit) -> dict:
    return {"plan_id": u.plan_id, "agency_id": u.agency_id, "reason": u.reason, "flags": u.flags, "team": u.team,
            "status": u.status, "feedback_on": u.feedback_on, "letter_sha": u.letter_sha, "closed_on": u.closed_on}


def get_unit(session: Session, actor: Actor, unit_id: int) -> AuditUnit:
    u = session.get(AuditUnit, unit_id)
    if u is None:
        raise NotFound(f"被稽查单位记录 {unit_id} 不存在", code="oversight.unit_not_found")
    if not (actor.covers(u.plan.agency.path) or actor.covers(u.agency.path)):
        raise PermissionDenied("该稽查不在您的管辖范围内", code="auth.out_of_jurisdiction")
    return u


def units_of(session: Session, plan: AuditPlan) -> list[AuditUnit]:
    return list(session.execute(select(AuditUnit).where(AuditUnit.plan_id == plan.id).order_by(AuditUnit.id))
                .scalars())


def _auditor(actor: Actor, u: AuditUnit) -> None:
    """A team member, or a leader of the auditing agency who is not inside the audited unit."""
    if actor.username in (u.team or []):
        return
    if actor.has("leader", "admin") and actor.covers(u.plan.agency.path) and not (
            actor.agency_path or "").startswith(u.agency.path):
        return
    raise PermissionDenied("只有稽查组成员或稽查机关负责人可以进行此操作", code="oversight.not_auditor")


def assign_team(session: Session, actor: Actor, unit_id: int, usernames: list[str]) -> AuditUnit:
    require_role(actor, "leader", "admin")
    u = get_unit(session, actor, unit_id)
    _auditor(actor, u)
    if u.status != "selected":
        raise IllegalTransition("稽查已开始，不能更换稽查组", code="oversight.team_locked")
    names = list(dict.fromkeys(n.strip() for n in usernames if n and n.strip()))
    need = rules().selection.min_team
    if len(names) < need:
        raise ValidationFailed(f"稽查组至少需要 {need} 人", code="oversight.team_too_small")
    users = {x.username: x for x in session.execute(select(User).where(User.username.in_(names))).scalars()}
    missing = [n for n in names if n not in users]
    if missing:
        raise ValidationFailed(f"账号不存在：{'、'.join(missing)}", code="oversight.unknown_user")
    inside = []
    for n, user in users.items():
        a = session.get(Agency, user.agency_id) if user.agency_id else None
        if a is None or a.path.startswith(u.agency.path):
            inside.append(n)
    if inside:
        raise ValidationFailed(f"稽查组成员不得来自被稽查单位：{'、'.join(inside)}", code="oversight.team_conflict")
    u.team = names
    session.flush()
    audit.record(session, actor, "oversight.unit.team", "oversight_unit", u.id, unit_state(u))
    return u


def pull_files(session: Session, actor: Actor, unit_id: int) -> list[FilePull]:
    """Draw the case files, inspection records and enterprises to re-check (seeded, reproducible)."""
    u = get_unit(session, actor, unit_id)
    _auditor(actor, u)
    if not u.team:
        raise IllegalTransition("请先组建稽查组", code="oversight.no_team")
    if u.status != "selected":
        raise IllegalTransition("已调阅过卷宗", code="oversight.already_pulled")
    n = rules().selection.files_per_unit
    seed, year = u.plan.seed, u.plan.year
    mine = [c for c in cases.list_cases(session, actor, limit=1_000_000)
            if c.agency_id == u.agency_id and c.discovered_on.year == year]
    mine.sort(key=lambda c: _rank(seed, f"case:{c.id}"))
    rows = [FilePull(unit_id=u.id, kind="case", ref=f"{c.number} {c.title}"[:200], ref_id=c.id)
            for c in mine[: n.get("cases", 0)]]
    records = [r for r in inspection.published_results(session, agency_path=u.agency.path, limit=100_000)
               if r["checked_on"][:4] == str(year)]
    records.sort(key=lambda r: _rank(seed, f"rec:{r['uscc']}:{r['checked_on']}"))
    taken = n.get("records", 0)
    rows += [FilePull(unit_id=u.id, kind="record", ref=f"{r['enterprise']} {r['checked_on']} {r['result']}"[:200])
             for r in records[:taken]]
    seen = {r["uscc"] for r in records[:taken]}
    rechecks = []
    for r in records[taken:]:
        if r["uscc"] not in seen and len(rechecks) < n.get("rechecks", 0):
            seen.add(r["uscc"])
            rechecks.append(r)
    rows += [FilePull(unit_id=u.id, kind="recheck", ref=f"{r['enterprise']}（原检查 {r['checked_on']}：{r['result']}）"[:200])
             for r in rechecks]
    if not rows:
        raise ValidationFailed("该单位本年度没有可调阅的案卷或检查记录", code="oversight.nothing_to_pull")
    session.add_all(rows)
    u.status = "fieldwork"
    session.flush()
    audit.record(session, actor, "oversight.unit.pull", "oversight_unit", u.id, unit_state(u),
                 note=f"案卷 {sum(r.kind == 'case' for r in rows)}，记录 {sum(r.kind == 'record' for r in rows)}，"
                      f"复查 {len(rechecks)}")
    return rows


def files_of(session: Session, u: AuditUnit) -> list[FilePull]:
    return list(session.execute(select(FilePull).where(FilePull.unit_id == u.id).order_by(FilePull.id)).scalars())


def check_file(session: Session, actor: Actor, file_id: int, *, deductions: dict[str, float] | None = None,
               vetoes: list[str] | None = None, result: str | None = None, note: str = "",
               on: date | None = None) -> FilePull:
    """Case files are scored with the case-file review sheet; records and re-checks get a result."""
    f = session.get(FilePull, file_id)
    if f is None:
        raise NotFound(f"调阅记录 {file_id} 不存在", code="oversight.file_not_found")
    u = get_unit(session, actor, f.unit_id)
    _auditor(actor, u)
    if u.status != "fieldwork":
        raise IllegalTransition("只有现场稽查阶段可以登记调阅结果", code="oversight.not_fieldwork")
    if f.kind == "case":
        sh = review.sheet(on or today())
        items = sh.items()
        deductions = {k: float(v) for k, v in (deductions or {}).items() if float(v)}
        bad = [k for k in deductions if k not in items]
        if bad:
            raise ValidationFailed(f"评分表中没有评查项 {bad}", code="oversight.bad_item")
        over = [items[k].text for k, v in deductions.items() if not 0 <= v <= items[k].points]
        if over:
            raise ValidationFailed(f"“{over[0]}”扣分超出该项分值", code="oversight.bad_deduction")
        unknown = [v for v in (vetoes or []) if v not in {x.code for x in sh.veto}]
        if unknown:
            raise ValidationFailed(f"未知的否决项 {unknown}", code="oversight.bad_veto")
        f.deductions = {**deductions, **({"_veto": vetoes} if vetoes else {})}
        f.score = 0.0 if vetoes else round(100 - sum(deductions.values()), 1)
    else:
        if result not in ("consistent", "inconsistent"):
            raise ValidationFailed("请选择复核结论：与原结论一致或不一致", code="oversight.bad_result")
        f.result = result
    f.note, f.checked_on = (note or "").strip()[:2000], on or today()
    session.flush()
    audit.record(session, actor, "oversight.file.check", "oversight_file", f.id,
                 {"kind": f.kind, "ref": f.ref, "score": f.score, "deductions": f.deductions, "result": f.result})
    return f


# --- findings, feedback, rectification, 回头看 ---------------------------------------------------

def finding_state(x: Finding) -> dict:
    return {"unit_id": x.unit_id, "area": x.area, "grade": x.grade, "text": x.text, "recommendation": x.recommendation,
            "due": x.due, "status": x.status, "plan_text": x.plan_text, "report_text": x.report_text,
            "verified_on": x.verified_on, "reopened": x.reopened, "escalated": x.escalated}


def add_finding(session: Session, actor: Actor, unit_id: int, *, area: str, grade: str, text: str,
                recommendation: str = "", due: date | None = None) -> Finding:
    u = get_unit(session, actor, unit_id)
    _auditor(actor, u)
    if u.status != "fieldwork":
        raise IllegalTransition("只有现场稽查阶段可以登记发现的问题", code="oversight.not_fieldwork")
    grades = rules().grades
    if grade not in grades:
        raise ValidationFailed(f"评定等级应为：{'、'.join(grades.values())}", code="oversight.bad_grade")
    x = Finding(unit_id=u.id, area=_text(area, "稽查事项", 40), grade=grade, text=_text(text, "发现的情况"),
                due=due, status="none" if grade == "meets" else "open", reopened=0, escalated=False)
    if grade != "meets":
        x.recommendation = _text(recommendation, "整改建议")
    session.add(x)
    session.flush()
    audit.record(session, actor, "oversight.finding.add", "oversight_finding", x.id, finding_state(x))
    return x


def findings_of(session: Session, u: AuditUnit) -> list[Finding]:
    return list(session.execute(select(Finding).where(Finding.unit_id == u.id).order_by(Finding.id)).scalars())


def letter_docx(session: Session, u: AuditUnit) -> bytes:
    from docx import Document

    grades = rules().grades
    doc = Document()
    doc.add_heading(f"{u.plan.agency.name}执法稽查情况反馈", level=1)
    doc.add_paragraph(f"{u.agency.name}：")
    doc.add_paragraph(f"根据《{u.plan.name}》，稽查组（{'、'.join(u.team)}）于 {u.plan.year} 年对你单位开展了执法稽查，"
                      f"调阅案卷和检查记录并复查了部分已检查企业。现将稽查发现的问题和整改要求反馈如下：")
    for i, x in enumerate(findings_of(session, u), 1):
        doc.add_paragraph(f"{i}. 【{x.area}】（{grades[x.grade]}）{x.text}")
        if x.grade != "meets":
            doc.add_paragraph(f"整改建议：{x.recommendation}；整改期限：{x.due.isoformat() if x.due else ''}")
    doc.add_paragraph("请于整改期限内报送整改方案和整改情况报告，稽查机关将组织“回头看”逐项核实销号。")
    doc.add_paragraph(f"{u.plan.agency.name}    {u.feedback_on.isoformat() if u.feedback_on else ''}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _letter_path(sha: str):
    from ..settings import get_settings

    folder = get_settings().data_dir / "oversight"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{sha}.docx"


def send_feedback(session: Session, actor: Actor, unit_id: int, *, on: date | None = None) -> AuditUnit:
    u = get_unit(session, actor, unit_id)
    _auditor(actor, u)
    if u.status != "fieldwork":
        raise IllegalTransition("只有现场稽查阶段可以反馈", code="oversight.not_fieldwork")
    files = files_of(session, u)
    pending = [f.ref for f in files if f.checked_on is None]
    if pending:
        raise ValidationFailed(f"还有 {len(pending)} 份调阅材料未登记结果（如：{pending[0]}）", code="oversight.files_pending")
    found = findings_of(session, u)
    if not found:
        raise ValidationFailed("请先登记稽查发现（符合要求的事项也应登记）", code="oversight.no_findings")
    u.feedback_on = on or today()
    days = rules().followup.rectification_days
    for x in found:
        if x.grade != "meets" and x.due is None:
            x.due = add_days(u.feedback_on, days)          # a last day on a holiday moves to the next working day
    u.status = "feedback" if any(x.status != "none" for x in found) else "closed"
    if u.status == "closed":
        u.closed_on = u.feedback_on
    session.flush()
    data = letter_docx(session, u)
    u.letter_sha = hashlib.sha256(data).hexdigest()
    _letter_path(u.letter_sha).write_bytes(data)
    audit.record(session, actor, "oversight.unit.feedback", "oversight_unit", u.id, unit_state(u))
    return u


def letter_bytes(u: AuditUnit) -> bytes:
    if not u.letter_sha:
        raise NotFound("尚未出具反馈意见书", code="oversight.no_letter")
    return _letter_path(u.letter_sha).read_bytes()


def _finding(session: Session, actor: Actor, finding_id: int) -> tuple[Finding, AuditUnit]:
    x = session.get(Finding, finding_id)
    if x is None:
        raise NotFound(f"稽查发现 {finding_id} 不存在", code="oversight.finding_not_found")
    return x, get_unit(session, actor, x.unit_id)


def _audited(actor: Actor, u: AuditUnit) -> None:
    if not (actor.has("leader", "admin", "officer") and actor.covers(u.agency.path)):
        raise PermissionDenied("整改方案和整改报告由被稽查单位报送", code="oversight.not_audited_unit")


def submit_plan(session: Session, actor: Actor, finding_id: int, text: str) -> Finding:
    x, u = _finding(session, actor, finding_id)
    _audited(actor, u)
    if x.status != "open":
        raise IllegalTransition(f"该问题当前为“{FINDING_STATUS[x.status]}”，不能报送整改方案", code="oversight.illegal_state")
    x.plan_text, x.status = _text(text, "整改方案"), "planned"
    session.flush()
    audit.record(session, actor, "oversight.finding.plan", "oversight_finding", x.id, finding_state(x))
    return x


def report(session: Session, actor: Actor, finding_id: int, text: str, on: date | None = None) -> Finding:
    x, u = _finding(session, actor, finding_id)
    _audited(actor, u)
    if x.status != "planned":
        raise IllegalTransition(f"该问题当前为“{FINDING_STATUS[x.status]}”，须先报送整改方案", code="oversight.illegal_state")
    x.report_text, x.reported_on, x.status = _text(text, "整改情况报告"), on or today(), "reported"
    session.flush()
    audit.record(session, actor, "oversight.finding.report", "oversight_finding", x.id, finding_state(x))
    return x


def follow_up(session: Session, actor: Actor, finding_id: int, *, verified: bool, note: str,
              on: date | None = None, new_due: date | None = None) -> Finding:
    """回头看: verify on site and close (销号), or send back with a new deadline."""
    x, u = _finding(session, actor, finding_id)
    _auditor(actor, u)
    if x.status != "reported":
        raise IllegalTransition(f"该问题当前为“{FINDING_STATUS[x.status]}”，只有已报告整改的问题才能回头看",
                                code="oversight.illegal_state")
    on = on or today()
    x.verify_note = _text(note, "回头看核查情况")
    if verified:
        x.status, x.verified_on = "closed", on
    else:
        x.status, x.reopened = "planned", x.reopened + 1
        x.due = new_due or add_days(on, 30)
        if x.due <= on:
            raise ValidationFailed("新的整改期限应晚于回头看日期", code="oversight.bad_due")
    session.flush()
    audit.record(session, actor, "oversight.finding.followup", "oversight_finding", x.id, finding_state(x))
    if all(f.status in ("none", "closed") for f in findings_of(session, u)):
        u.status, u.closed_on = "closed", on
        session.flush()
        audit.record(session, actor, "oversight.unit.close", "oversight_unit", u.id, unit_state(u))
    return x


def escalate(session: Session, actor: Actor, *, on: date | None = None) -> list[Finding]:
    """Recommendations past their deadline and not closed are escalated (提级督办) once."""
    require_role(actor, "leader", "admin")
    on = on or today()
    grace = rules().followup.escalate_after_days
    out = []
    rows = session.execute(select(Finding).where(Finding.status.in_(("open", "planned", "reported")),
                                                 Finding.escalated.is_(False), Finding.due.is_not(None))).scalars()
    for x in rows:
        u = session.get(AuditUnit, x.unit_id)
        if x.due + timedelta(days=grace) < on and actor.covers(u.plan.agency.path):
            x.escalated = True
            out.append(x)
    session.flush()
    for x in out:
        audit.record(session, actor, "oversight.finding.escalate", "oversight_finding", x.id, finding_state(x))
    return out


# --- results -------------------------------------------------------------------------------------

STAT_LABELS = {"files": "调阅案卷/记录", "case_score": "案卷平均分", "rechecks": "复查企业", "inconsistent": "复查不一致",
               "meets": "符合要求", "attention": "需关注", "improvement": "需改进", "closed": "已销号",
               "closed_on_time": "按期销号", "overdue": "逾期未整改", "escalated": "提级督办"}


def statistics(session: Session, actor: Actor, *, year: int, on: date | None = None) -> list[dict]:
    """Per audited unit, figures the evaluation and the leader dashboard read."""
    on = on or today()
    plans = [p for p in list_plans(session, actor) if p.year == year]
    out = []
    for p in plans:
        for u in units_of(session, p):
            files, found = files_of(session, u), findings_of(session, u)
            scores = [f.score for f in files if f.kind == "case" and f.score is not None]
            r = {"unit_id": u.id, "agency_id": u.agency_id, "agency": u.agency.name, "plan": p.name,
                 "status": u.status, "reason": u.reason,
                 "files": sum(f.kind != "recheck" for f in files),
                 "case_score": round(sum(scores) / len(scores), 1) if scores else None,
                 "rechecks": sum(f.kind == "recheck" for f in files),
                 "inconsistent": sum(f.result == "inconsistent" for f in files),
                 **{g: sum(x.grade == g for x in found) for g in GRADE_POINTS},
                 "closed": sum(x.status == "closed" for x in found),
                 "closed_on_time": sum(x.status == "closed" and x.due is not None and x.verified_on <= x.due
                                       for x in found),
                 "overdue": sum(x.status in ("open", "planned", "reported") and x.due is not None and x.due < on
                                for x in found),
                 "escalated": sum(x.escalated for x in found)}
            out.append(r)
    return out


def indicator(session: Session, *, year: int, on: date | None = None) -> dict[int, float]:
    """An evaluation indicator per audited county (0–100): 100 minus 4 per finding needing
    attention, 10 per finding needing improvement, 5 per recommendation overdue. Only audits whose
    findings were fed back count; units not audited that year are absent (no data)."""
    rows = statistics(session, Actor.system("oversight"), year=year, on=on)
    out: dict[int, float] = {}
    for r in rows:
        if r["status"] in ("selected", "fieldwork"):
            continue
        score = 100 - GRADE_POINTS["attention"] * r["attention"] - GRADE_POINTS["improvement"] * r["improvement"] \
            - 5 * r["overdue"]
        out[r["agency_id"]] = float(max(0, min(out.get(r["agency_id"], 100.0), score)))
    return out


FLOW_LABELS = {"complaints": "信访投诉（件）", "complaints_on_time": "按期答复", "complaints_substantiated": "查实",
               "criminal": "移送涉嫌犯罪（件）", "criminal_persons": "涉嫌犯罪（人）", "detention": "移送行政拘留（件）",
               "detention_persons": "行政拘留（人）", "transfers_overdue": "移送超期环节",
               "audit_findings": "稽查问题（需关注/需改进）", "audit_closed": "已销号", "audit_overdue": "逾期未整改"}


def flows_by_unit(session: Session, actor: Actor, *, year: int, on: date | None = None) -> list[dict]:
    """The three oversight flows side by side per unit: complaints, transfers and unit audits
    (each read through its own domain's statistics; kept until the next audited write)."""
    return cache.cached(session, "oversight.flows_by_unit",
                        (actor.is_enterprise, actor.enterprise_id, actor.agency_path, year, on or today()),
                        lambda: _flows_by_unit(session, actor, year=year, on=on))


def _flows_by_unit(session: Session, actor: Actor, *, year: int, on: date | None = None) -> list[dict]:
    rows: dict[int, dict] = {}

    def row(agency_id: int, name: str) -> dict:
        return rows.setdefault(agency_id, {"agency_id": agency_id, "agency": name, **{k: 0 for k in FLOW_LABELS}})

    for r in complaints.statistics(session, actor, year=year, on=on):
        x = row(r["agency_id"], r["agency"])
        x["complaints"], x["complaints_on_time"] = r["received"], r["replied_on_time"]
        x["complaints_substantiated"] = r["substantiated"]
    for r in transfers.statistics(session, actor, year=year, on=on):
        x = row(r["agency_id"], r["agency"])
        for k in ("criminal", "criminal_persons", "detention", "detention_persons"):
            x[k] = r[k]
        x["transfers_overdue"] = r["overdue"]
    for r in statistics(session, actor, year=year, on=on):
        x = row(r["agency_id"], r["agency"])
        x["audit_findings"] += r["attention"] + r["improvement"]
        x["audit_closed"] += r["closed"]
        x["audit_overdue"] += r["overdue"]
    return sorted(rows.values(), key=lambda r: r["agency"])


#: What the recommendation list can show: the open ones (the default) or one status.
OPEN_FINDING = ("open", "planned", "reported")

#: Sort keys of the recommendation list (earliest deadline first, so overdue ones lead).
REC_SORT = Sort(
    keys={"due": [Finding.due], "unit": [_UNIT_AGENCY.division_code],
          "status": [Finding.status], "year": [AuditPlan.year]},
    default="due", tiebreak=[Finding.id],
    labels={"due": "整改期限", "unit": "被稽查单位", "status": "状态", "year": "稽查年度"})


def _recommendations_query(session: Session, actor: Actor, *, status: str = "", q: str = "",
                           agency_id: int | None = None, year: int | None = None, overdue_on: date | None = None,
                           escalated: bool = False):
    """Findings with a recommendation, of the audit plans the actor's jurisdiction covers; open ones
    unless ``status`` names another (an unknown status is a 422)."""
    stmt = (select(Finding, AuditUnit).join(AuditUnit, Finding.unit_id == AuditUnit.id)
            .join(AuditPlan, AuditUnit.plan_id == AuditPlan.id)
            .join(_PLAN_AGENCY, AuditPlan.agency_id == _PLAN_AGENCY.id)
            .join(_UNIT_AGENCY, AuditUnit.agency_id == _UNIT_AGENCY.id))
    stmt = scope(stmt, actor, _PLAN_AGENCY.path)
    if status:
        stmt = where_choice(stmt, Finding.status, status, FINDING_STATUS, "整改状态", "oversight.bad_status")
    else:
        stmt = stmt.where(Finding.status.in_(OPEN_FINDING))
    if agency_id:
        a = session.get(Agency, agency_id)
        if a is None:
            raise NotFound(f"单位 {agency_id} 不存在", code="registry.agency_not_found")
        stmt = stmt.where(_UNIT_AGENCY.path.startswith(a.path, autoescape=True))
    if year:
        stmt = stmt.where(AuditPlan.year == year)
    if overdue_on is not None:
        stmt = stmt.where(Finding.due < overdue_on, Finding.status.in_(OPEN_FINDING))
    if escalated:
        stmt = stmt.where(Finding.escalated.is_(True))
    stmt = where_search(stmt, q, Finding.recommendation, Finding.text, _UNIT_AGENCY.name)
    return stmt


def recommendation_row(x: Finding, u: AuditUnit, on: date) -> dict:
    return {"unit": u.agency.name, "unit_id": u.id, "agency_id": u.agency_id, "finding_id": x.id,
            "text": x.recommendation, "finding": x.text, "area": x.area, "grade": x.grade, "status": x.status,
            "status_label": FINDING_STATUS.get(x.status, x.status), "plan": u.plan.name, "year": u.plan.year,
            "due": x.due, "overdue": bool(x.due and x.due < on and x.status in OPEN_FINDING),
            "escalated": x.escalated}


def page_recommendations(session: Session, actor: Actor, *, on: date | None = None, sort: str = "",
                         page: PageParams | None = None, **filters) -> Page[dict]:
    """One page of the recommendations (open ones, earliest deadline first, unless told), with the total."""
    on = on or today()
    p = page_of(session, _recommendations_query(session, actor, **filters), page, sort=REC_SORT, sort_value=sort)
    p.items = [recommendation_row(x, u, on) for x, u in p.items]
    return p


def iter_recommendations(session: Session, actor: Actor, *, on: date | None = None, sort: str = "",
                         **filters) -> Iterator[dict]:
    on = on or today()
    for x, u in iter_all(session, _recommendations_query(session, actor, **filters), sort=REC_SORT, sort_value=sort):
        yield recommendation_row(x, u, on)


def open_recommendations(session: Session, actor: Actor, *, on: date | None = None) -> list[dict]:
    """For the leader dashboard: every recommendation not closed, overdue first."""
    return list(iter_recommendations(session, actor, on=on))

