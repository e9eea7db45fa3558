"""Every figure the campaign reports, computed from the records — by unit (rolled up the agency
tree), period, special action (a case tag) and violation type, with year-on-year and
period-on-period change.

Additive figures are summed per county in SQL, then rolled up the tree in Python, so a parent's
figure is always the sum of its children's; rates are recomputed from rolled-up numerators and
denominators (never averaged).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..core.timeutil import TZ
from ..registry.models import Agency, Enterprise

#: figure → zh-CN label, in report order. Rates are derived from the counts below them.
LABELS = {
    "cases_filed": "立案数",
    "decisions": "作出处罚决定数",
    "fines_yuan": "罚没款金额（元）",
    "non_penalty": "不予处罚决定数",
    "withdrawn": "撤销立案数",
    "seizure": "查封扣押",
    "restriction": "限制生产",
    "suspension": "停产整治",
    "daily_penalty": "按日连续处罚",
    "detention_transfer": "移送行政拘留",
    "criminal_transfer": "移送涉嫌犯罪",
    "supporting_measures": "配套办法案件合计",
    "inspections": "现场检查次数",
    "routine_planned": "双随机计划检查数",
    "routine_done": "双随机完成检查数",
    "plan_completion": "计划完成率",
    "coverage": "双随机覆盖率",
    "uploads_on_time": "检查记录按时上传数",
    "upload_on_time_rate": "按时上传率",
    "findings": "检查发现问题数",
    "leads": "非现场监管线索数",
    "lead_cases": "非现场线索立案数",
    "lead_conversion": "线索立案转化率",
    "offsite_share": "非现场立案占比",
    "offset_cases": "学法积分抵扣案件数",
    "offset_yuan": "学法积分抵扣金额（元）",
}
MEASURES = ("seizure", "restriction", "suspension", "daily_penalty", "detention_transfer", "criminal_transfer")
RATES = {"plan_completion": ("routine_done", "routine_planned"), "coverage": ("covered", "population"),
         "upload_on_time_rate": ("uploads_on_time", "inspections"), "offsite_share": ("lead_cases", "cases_filed"),
         "lead_conversion": ("lead_cases", "leads")}


@dataclass
class Filters:
    start: date
    end: date
    tag: str | None = None
    violation_code: str | None = None

    def shifted(self, *, years: int = 0, days: int = 0) -> Filters:
        def mv(d: date) -> date:
            d = d - timedelta(days=days)
            if years:
                try:
                    d = d.replace(year=d.year - years)
                except ValueError:          # 29 February
                    d = d.replace(year=d.year - years, day=28)
            return d

        return Filters(mv(self.start), mv(self.end), self.tag, self.violation_code)

    def previous_period(self) -> Filters:
        return self.shifted(days=(self.end - self.start).days + 1)


@dataclass
class Figures:
    agency_id: int
    name: str
    division_code: str
    level: str
    values: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def rate(self, key: str) -> float | None:
        num, den = RATES[key]
        d = self.values.get(den, 0)
        return round(self.values.get(num, 0) / d, 4) if d else None

    def get(self, key: str) -> float | None:
        return self.rate(key) if key in RATES else self.values.get(key, 0)

    def as_dict(self) -> dict:
        out = {k: self.get(k) for k in LABELS}
        out.update(agency=self.name, division_code=self.division_code, level=self.level)
        return out


def _county_sums(session: Session, f: Filters) -> dict[int, dict[str, float]]:
    from ..cases.models import Case, Measure
    from ..inspection.models import Record, Task
    from ..inspection.service import sampling

    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    tagged = None
    if f.tag:      # JSON containment differs across databases: select the tagged ids portably
        tagged = [cid for cid, tags in session.execute(select(Case.id, Case.tags)) if f.tag in (tags or [])]

    def case_filter(q):
        if tagged is not None:
            q = q.where(Case.id.in_(tagged))
        if f.violation_code:
            q = q.where(Case.violation_code == f.violation_code)
        return q

    def add(rows, key):
        for agency_id, n in rows:
            sums[agency_id][key] += float(n or 0)

    between = lambda col: and_(col >= f.start, col <= f.end)  # noqa: E731
    add(session.execute(case_filter(select(Case.agency_id, func.count()).where(between(Case.filed_on)))
                        .group_by(Case.agency_id)), "cases_filed")
    add(session.execute(case_filter(select(Case.agency_id, func.count()).where(
        between(Case.decided_on), Case.outcome.in_(("penalty", "revoked")))).group_by(Case.agency_id)), "decisions")
    add(session.execute(case_filter(select(Case.agency_id, func.sum(Case.fine)).where(
        between(Case.decided_on), Case.outcome == "penalty")).group_by(Case.agency_id)), "fines_yuan")
    add(session.execute(case_filter(select(Case.agency_id, func.count()).where(
        between(Case.decided_on), Case.outcome == "non_penalty")).group_by(Case.agency_id)), "non_penalty")
    add(session.execute(case_filter(select(Case.agency_id, func.count()).where(
        between(Case.closed_on), Case.outcome == "withdrawn")).group_by(Case.agency_id)), "withdrawn")
    add(session.execute(case_filter(select(Case.agency_id, func.count()).where(
        between(Case.filed_on), Case.source == "lead")).group_by(Case.agency_id)), "lead_cases")
    add(session.execute(case_filter(select(Case.agency_id, func.count()).where(
        between(Case.decided_on), Case.offset_yuan > 0)).group_by(Case.agency_id)), "offset_cases")
    add(session.execute(case_filter(select(Case.agency_id, func.sum(Case.offset_yuan)).where(
        between(Case.decided_on))).group_by(Case.agency_id)), "offset_yuan")
    for kind in MEASURES:
        # a case counts once per measure kind (the campaign counts cases, not orders)
        add(session.execute(case_filter(select(Case.agency_id, func.count(func.distinct(Measure.case_id)))
                                        .join(Measure, Measure.case_id == Case.id)
                                        .where(Measure.kind == kind, between(Measure.started_on)))
                            .group_by(Case.agency_id)), kind)
    add(session.execute(case_filter(select(Case.agency_id, func.count(func.distinct(Measure.case_id)))
                                    .join(Measure, Measure.case_id == Case.id)
                                    .where(between(Measure.started_on))).group_by(Case.agency_id)),
        "supporting_measures")
    if f.tag is None and f.violation_code is None:
        from ..offsite.models import Lead

        lo_ = datetime.combine(f.start, time(0), TZ)
        hi_ = datetime.combine(f.end + timedelta(days=1), time(0), TZ)
        add(session.execute(select(Lead.agency_id, func.count()).where(
            Lead.created_at >= lo_, Lead.created_at < hi_, Lead.agency_id.is_not(None)).group_by(Lead.agency_id)),
            "leads")
        on_time_h = sampling(f.end).upload_on_time_hours
        lo = datetime.combine(f.start, time(0), TZ)
        hi = datetime.combine(f.end + timedelta(days=1), time(0), TZ)
        rec = session.execute(select(Task.agency_id, Record.checked_at, Record.submitted_at, Record.violation,
                                     Task.enterprise_id, Task.source)
                              .join(Record, Record.task_id == Task.id)
                              .where(Record.status == "submitted", Record.checked_at >= lo, Record.checked_at < hi)).all()
        covered: dict[int, set] = defaultdict(set)
        for agency_id, checked, submitted, violation, ent, source in rec:
            s = sums[agency_id]
            s["inspections"] += 1
            s["findings"] += 1 if violation else 0
            if checked and submitted and (submitted - checked) <= timedelta(hours=on_time_h):
                s["uploads_on_time"] += 1
            if source == "routine":
                covered[agency_id].add(ent)
        for agency_id, ents in covered.items():
            sums[agency_id]["covered"] += len(ents)
        add(session.execute(select(Task.agency_id, func.count()).where(
            Task.source == "routine", between(Task.due_date)).group_by(Task.agency_id)), "routine_planned")
        add(session.execute(select(Task.agency_id, func.count()).where(
            Task.source == "routine", Task.status == "submitted", between(Task.due_date)).group_by(Task.agency_id)),
            "routine_done")
        add(session.execute(select(Enterprise.agency_id, func.count()).where(Enterprise.positive_list.is_(False))
                            .group_by(Enterprise.agency_id)), "population")
    return sums


def compute(session: Session, f: Filters) -> dict[int, Figures]:
    """Figures for every agency (counties from the records, every ancestor the sum of its subtree)."""
    agencies = list(session.execute(select(Agency)).scalars())
    by_id = {a.id: a for a in agencies}
    out = {a.id: Figures(a.id, a.name, a.division_code, a.level) for a in agencies}
    for agency_id, sums in _county_sums(session, f).items():
        a = by_id.get(agency_id)
        if a is None:
            continue
        chain = [int(x) for x in a.path.strip("/").split("/") if x]
        for anc in chain:
            if anc in out:
                for k, v in sums.items():
                    out[anc].values[k] += v
    return out


def report(session: Session, agency: Agency, f: Filters) -> dict:
    """The unit and its children, with year-on-year and period-on-period change."""
    now_ = compute(session, f)
    yoy = compute(session, f.shifted(years=1))
    pop = compute(session, f.previous_period())
    children = [a for a in session.execute(select(Agency).where(Agency.parent_id == agency.id)
                                           .order_by(Agency.division_code)).scalars()]

    def row(aid: int) -> dict:
        cur = now_[aid].as_dict()
        cur["yoy"] = {k: change(now_[aid].get(k), yoy[aid].get(k)) for k in LABELS}
        cur["chain"] = {k: change(now_[aid].get(k), pop[aid].get(k)) for k in LABELS}
        cur["last_year"] = {k: yoy[aid].get(k) for k in LABELS}
        return cur

    return {"unit": row(agency.id), "children": [row(c.id) for c in children], "filters": f,
            "labels": LABELS}


def change(cur: float | None, prev: float | None) -> float | None:
    """Relative change (0.238 = +23.8 %); None when there is no base."""
    if cur is None or prev in (None, 0):
        return None
    return round((cur - prev) / prev, 4)


def monthly(session: Session, agency: Agency, year: int, keys=("cases_filed", "decisions", "fines_yuan")) -> dict:
    """Month-by-month figures of one unit (dashboard charts)."""
    out = {k: [] for k in keys}
    for m in range(1, 13):
        start = date(year, m, 1)
        end = (date(year + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
        figs = compute(session, Filters(start, end))[agency.id]
        for k in keys:
            out[k].append(figs.get(k))
    return out
