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
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cases import queries as cases
from ..core import cache, summary
from ..inspection import queries as inspection
from ..inspection import service as inspection_service
from ..offsite import queries as offsite
from ..portal import credit as portal_credit
from ..portal import positive as portal_positive
from ..portal import queries as portal
from ..registry.models import Agency, Enterprise, EnterprisePopulation

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
    "leads_converted": "已立案的线索数",
    "lead_conversion": "线索立案转化率",
    "offsite_share": "非现场立案占比",
    "offset_cases": "学法积分抵扣案件数",
    "offset_yuan": "学法积分抵扣金额（元）",
    "credit_repairs_applied": "信用修复申请数",
    "credit_repairs_approved": "信用修复完成数",
    **portal.LABELS,          # enterprise portal: warnings sent, answered in time, late, escalated; self-checks …
    "positive_listed": "纳入正面清单企业数",
    "positive_removed": "移出正面清单企业数",
}
MEASURES = ("seizure", "restriction", "suspension", "daily_penalty", "detention_transfer", "criminal_transfer")
#: rates: numerator ÷ denominator, both shown beside the rate and bounded to [0, 100 %]
RATES = {"plan_completion": ("routine_done", "routine_planned"), "coverage": ("covered", "population"),
         "upload_on_time_rate": ("uploads_on_time", "inspections"), "offsite_share": ("lead_cases", "cases_filed"),
         "lead_conversion": ("leads_converted", "leads")}
#: how each rate is defined (shown on the statistics page)
RATE_NOTES = {
    "plan_completion": "双随机完成检查数 ÷ 双随机计划检查数（统计期内）",
    "coverage": "统计期内被双随机抽查的企业数 ÷ 非正面清单企业总数",
    "upload_on_time_rate": "按时上传的检查记录数 ÷ 现场检查次数",
    "offsite_share": "来源为非现场线索的立案数 ÷ 立案数",
    "lead_conversion": "统计期内产生的非现场线索中已立案的线索数 ÷ 统计期内产生的非现场线索数"
                       "（案件记录其来源线索：线索→现场核查任务→检查记录→移送→立案）",
}


violation_name = cases.violation_name


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
        """The adjacent period before this one (环比): whole calendar months step back by the same
        number of months (March → February, a quarter → the quarter before), any other span by its
        length in days."""
        nxt = self.end + timedelta(days=1)
        if self.start.day == 1 and nxt.day == 1:
            months = (nxt.year - self.start.year) * 12 + nxt.month - self.start.month
            first = _add_months(self.start, -months)
            return Filters(first, self.start - timedelta(days=1), self.tag, self.violation_code)
        return self.shifted(days=(self.end - self.start).days + 1)

    def same_period_last_year(self) -> Filters:
        """The same dates one year earlier (同比)."""
        return self.shifted(years=1)


def _add_months(d: date, n: int) -> date:
    k = d.year * 12 + d.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


@dataclass
class Figures:
    agency_id: int
    name: str
    division_code: str
    level: str
    values: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def rate(self, key: str) -> float | None:
        """numerator ÷ denominator, bounded to [0, 1]; None without a denominator."""
        num, den = RATES[key]
        d = self.values.get(den, 0)
        return round(min(1.0, max(0.0, self.values.get(num, 0) / d)), 4) if d else None

    def fraction(self, key: str) -> tuple[float, float]:
        """The (numerator, denominator) behind a rate; the numerator as counted into the rate
        (never above the denominator)."""
        num, den = RATES[key]
        d = self.values.get(den, 0)
        return min(self.values.get(num, 0), d), d

    def get(self, key: str) -> float | None:
        return self.rate(key) if key in RATES else self.values.get(key, 0)

    def as_dict(self) -> dict:
        out = {k: self.get(k) for k in LABELS}
        out.update(agency=self.name, division_code=self.division_code, level=self.level)
        return out


#: figures computed from the case records alone
CASE_FIGURES = frozenset({"cases_filed", "decisions", "fines_yuan", "non_penalty", "withdrawn", "lead_cases",
                          "offset_cases", "offset_yuan", "supporting_measures", *MEASURES})


def _county_sums(session: Session, f: Filters, cases_only: bool = False) -> dict[int, dict[str, float]]:
    """Per-county sums, each domain's figures from its own queries module (``cases_only``: skip
    the inspection, lead and population figures)."""
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def merge(part: dict[int, dict[str, float]]) -> None:
        for agency_id, values in part.items():
            for k, v in values.items():
                sums[agency_id][k] += v

    merge(cases.county_sums(session, f.start, f.end, tag=f.tag, violation_code=f.violation_code, measures=MEASURES))
    if f.tag is None and f.violation_code is None and not cases_only:
        for agency_id, n in offsite.leads_by_agency(session, f.start, f.end).items():
            sums[agency_id]["leads"] += float(n)
        for agency_id, n in offsite.converted_by_agency(session, f.start, f.end, cases.filed_lead_ids_select()).items():
            sums[agency_id]["leads_converted"] += float(n)
        merge(inspection.county_sums(session, f.start, f.end, inspection_service.sampling(f.end).upload_on_time_hours))
        merge(portal.county_sums(session, f.start, f.end))
        for agency_id, n in portal_credit.counts(session, f.start, f.end).items():
            sums[agency_id]["credit_repairs_applied"] += float(n["applied"])
            sums[agency_id]["credit_repairs_approved"] += float(n["approved"])
        for agency_id, n in portal_positive.counts(session, f.start, f.end).items():
            sums[agency_id]["positive_listed"] += float(n["listed"])
            sums[agency_id]["positive_removed"] += float(n["removed"])
        for agency_id, n in _population(session).items():
            sums[agency_id]["population"] += float(n or 0)
    return sums


def _population(session: Session, direct: bool = False) -> dict[int, int]:
    """Enterprises not on the positive list per county (the coverage rate's denominator; the same
    for every period): the count the database keeps (registry.figures), once per data version
    (``direct``: counted from the firms, the reference the kept count is tested against)."""
    if direct:
        return dict(session.execute(select(Enterprise.agency_id, func.count()).where(
            Enterprise.positive_list.is_(False)).group_by(Enterprise.agency_id)).all())
    kept = summary.folded(EnterprisePopulation.__table__)
    return cache.cached(session, "statistics.population", (), lambda: dict(session.execute(
        select(kept.c.agency_id, kept.c.enterprises).where(kept.c.enterprises != 0)).all()), copier=dict)


def agencies(session: Session) -> list[tuple[int, str, str, str, tuple[int, ...]]]:
    """Every agency: id, name, code, level and the ids on its path (itself last), once per data version."""
    return cache.cached(session, "statistics.agencies", (), lambda: [
        (a.id, a.name, a.division_code, a.level, tuple(int(x) for x in a.path.strip("/").split("/") if x))
        for a in session.execute(select(Agency.id, Agency.name, Agency.division_code, Agency.level, Agency.path))],
        fresh_copy=False)


def compute(session: Session, f: Filters, cases_only: bool = False, *, shared: bool = False) -> dict[int, Figures]:
    """Figures for every agency (counties from the records, every ancestor the sum of its subtree).
    Kept between requests until the next audited write (core.cache): every user's statistics,
    dashboard and evaluation read the same per-agency table. ``shared``: the kept table itself,
    for a caller that only reads it (copying ≈3,200 units' figures costs more than reading them)."""
    return cache.cached(session, "statistics.compute", _key(f, cases_only),
                        refresh=lambda s: _compute(s, f, cases_only), copier=_copy_figures, fresh_copy=not shared)


def _key(f: Filters, cases_only: bool = False) -> tuple:
    return (f.start, f.end, f.tag, f.violation_code, cases_only)


def prefetch(session: Session, periods: list[Filters]) -> None:
    """Compute the figures of several periods side by side (core.cache.prefetch) before a report
    reads them one by one: the first request for another year, half-year or filter then waits for
    the slowest period rather than for all of them."""
    cache.prefetch(session, "statistics.compute",
                   {_key(f): (lambda s, f=f: _compute(s, f, False)) for f in periods})


def _copy_figures(figs: dict[int, Figures]) -> dict[int, Figures]:
    return {k: Figures(f.agency_id, f.name, f.division_code, f.level, defaultdict(float, f.values))
            for k, f in figs.items()}


def _compute(session: Session, f: Filters, cases_only: bool) -> dict[int, Figures]:
    every = agencies(session)
    out = {aid: Figures(aid, name, code, level) for aid, name, code, level, _ in every}
    for agency_id, sums in _county_sums(session, f, cases_only).items():
        if agency_id in out:
            values = out[agency_id].values
            for k, v in sums.items():
                values[k] += v
    # roll up deepest first, each unit into its parent once (every figure is a sum of whole
    # numbers, so the order of addition cannot change a total)
    for aid, _, _, _, chain in sorted(every, key=lambda a: -len(a[4])):
        if len(chain) > 1 and chain[-2] in out:
            parent = out[chain[-2]].values
            for k, v in out[aid].values.items():
                parent[k] += v
    return out


def report(session: Session, agency: Agency, f: Filters, *, chain: bool = True) -> dict:
    """The unit and its children, with year-on-year (同比: the same dates last year) and
    period-on-period (环比: the adjacent earlier period) change. A change against a base under the
    rules' ``min_growth_base`` is not given (None, with the reason in ``yoy_note``/``chain_note``);
    a rate's change is in percentage points. ``chain=False`` for a caller that shows no 环比 (the
    dashboard): the earlier period is then not computed, and every 环比 is None."""
    min_base = min_growth_base(f.end.year)
    last = f.same_period_last_year()
    prev_f = f.previous_period()
    same = (prev_f.start, prev_f.end) == (last.start, last.end)
    prefetch(session, [f, last] if same or not chain else [f, last, prev_f])
    now_ = compute(session, f, shared=True)
    yoy = compute(session, last, shared=True)
    pop = yoy if same or not chain else compute(session, prev_f, shared=True)
    children = [a for a in session.execute(select(Agency).where(Agency.parent_id == agency.id)
                                           .order_by(Agency.division_code)).scalars()]

    def row(aid: int) -> dict:
        cur = now_[aid].as_dict()
        cur["yoy"], cur["yoy_note"] = {}, {}
        cur["chain"], cur["chain_note"] = {}, {}
        for k in LABELS:
            cur["yoy"][k], cur["yoy_note"][k] = compare(now_[aid], yoy[aid], k, min_base)
            if not chain:
                cur["chain"][k], cur["chain_note"][k] = None, "未计算环比"
            elif same:
                cur["chain"][k], cur["chain_note"][k] = None, "统计期为整年，上一期即上年同期，见同比"
            else:
                cur["chain"][k], cur["chain_note"][k] = compare(now_[aid], pop[aid], k, min_base)
        cur["last_year"] = {k: yoy[aid].get(k) for k in LABELS}
        cur["fractions"] = {k: now_[aid].fraction(k) for k in RATES}
        return cur

    return {"unit": row(agency.id), "children": [row(c.id) for c in children], "filters": f,
            "labels": LABELS, "previous": prev_f, "last_year": last, "min_base": min_base}


def min_growth_base(year: int) -> float:
    """The smallest base a growth rate is given against (the year's rules, else the latest)."""
    from ..core.errors import ValidationFailed
    from .rules import Presentation, scheme

    for y in (year, 2100):
        try:
            return scheme(y).presentation.min_growth_base
        except ValidationFailed:
            continue
    return Presentation().min_growth_base


def compare(cur: Figures, prev: Figures, key: str, min_base: float) -> tuple[float | None, str]:
    """The change of ``key`` from ``prev`` to ``cur`` and, when there is none, why. Counts and
    money: relative (0.238 = +23.8 %), not given against a base under ``min_base``; rates: the
    difference in percentage points (0.05 = +5.0 个百分点), not given when either period's
    denominator is under ``min_base``."""
    if key in RATES:
        a, b = cur.rate(key), prev.rate(key)
        den_now, den_prev = cur.fraction(key)[1], prev.fraction(key)[1]
        if a is None or b is None or min(den_now, den_prev) < min_base:
            return None, f"分母（{LABELS.get(RATES[key][1], RATES[key][1])}）小于 {min_base:g}，比较无意义"
        return round(a - b, 4), ""
    c, p = cur.get(key), prev.get(key)
    if p is None or p == 0:
        return None, "对比期为 0，无增长率"
    if p < min_base:
        return None, f"对比期基数 {p:g} 小于 {min_base:g}，增长率无意义"
    return change(c, p), ""


def change(cur: float | None, prev: float | None) -> float | None:
    """Relative change (0.238 = +23.8 %); None when there is no base."""
    if cur is None or prev in (None, 0):
        return None
    return round((cur - prev) / prev, 4)


def monthly(session: Session, agency: Agency, year: int, keys=("cases_filed", "decisions", "fines_yuan")) -> dict:
    """Month-by-month figures of one unit (dashboard charts). Case counts, decisions and fines come
    from one grouped query per date column over the unit's subtree (the same figures as the
    month's ``compute``, without twelve of them); other figures month by month."""
    keys = tuple(keys)
    if set(keys) <= set(cases.MONTHLY):
        path = agency.path
        return cache.cached(session, "statistics.monthly", (agency.id, year, keys),
                            refresh=lambda s: _monthly_cases(s, path, year, keys))
    out = {k: [] for k in keys}
    for m in range(1, 13):
        start = date(year, m, 1)
        end = (date(year + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
        figs = compute(session, Filters(start, end), cases_only=CASE_FIGURES.issuperset(keys), shared=True)[agency.id]
        for k in keys:
            out[k].append(figs.get(k))
    return out


def _monthly_cases(session: Session, agency_path: str, year: int, keys: tuple[str, ...]) -> dict:
    by_month = cases.monthly_sums(session, year, agency_path, keys)
    return {k: [by_month.get(m, {}).get(k, 0.0) for m in range(1, 13)] for k in keys}
