"""Read-only figures and references other domains take from the cases (statistics, evaluation,
case-file review), so they never query the case tables themselves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from ..core import summary
from ..core.summary import months
from .figures import COLUMNS as FIGURE_COLUMNS
from .models import Case, CaseMeasureDay, CaseMonth, Measure


@dataclass(frozen=True)
class CaseRef:
    id: int
    number: str
    agency_id: int


def refs(session: Session, case_ids: Iterable[int]) -> dict[int, CaseRef]:
    ids = set(case_ids)
    if not ids:
        return {}
    return {cid: CaseRef(cid, number, agency_id) for cid, number, agency_id in session.execute(
        select(Case.id, Case.number, Case.agency_id).where(Case.id.in_(ids)))}


def closed_between(session: Session, start: date, end: date) -> list[tuple[int, int]]:
    """(case id, agency id) of the cases closed (or archived) from ``start`` to ``end``, by id."""
    return [(cid, aid) for cid, aid in session.execute(
        select(Case.id, Case.agency_id).where(Case.stage.in_(("closed", "archived")),
                                              Case.closed_on >= start, Case.closed_on <= end)
        .order_by(Case.id))]


def decided_by_officer(session: Session, start: date, end: date) -> dict[int, int]:
    """Cases decided from ``start`` to ``end`` per officer id (every handling officer counts)."""
    out: dict[int, int] = {}
    for ids, in session.execute(select(Case.officer_ids).where(Case.decided_on >= start, Case.decided_on <= end)):
        for i in ids or []:
            out[i] = out.get(i, 0) + 1
    return out


def has_tag(session: Session, tag: str):
    """A condition on Case: its special-action ``tags`` (a JSON list) hold ``tag`` — matched by
    the database (SQLite json_each, PostgreSQL jsonb containment), not by reading every case's tags."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import cast
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(Case.tags, JSONB).contains([tag])
    each = func.json_each(Case.tags).table_valued("value")
    return select(1).select_from(each).where(each.c.value == tag).exists()


def county_sums(session: Session, start: date, end: date, *, tag: str | None = None,
                violation_code: str | None = None, measures: Iterable[str] = (),
                use_summary: bool = True) -> dict[int, dict[str, float]]:
    """Per agency id: cases filed, decisions, fines, non-penalty decisions, withdrawals, cases from
    leads, study-points offsets, and the cases with each supporting measure (a case counts once
    per measure kind) — optionally only the cases with a special-action ``tag`` or a violation code. Without
    a filter the additive figures of whole months come from the per-month sums (cases.figures;
    ``use_summary=False``: from the cases, the reference the summary is tested against)."""
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    tagged = has_tag(session, tag) if tag else None

    def case_filter(q):
        if tagged is not None:
            q = q.where(tagged)
        if violation_code:
            q = q.where(Case.violation_code == violation_code)
        return q

    def add(rows, key):
        for agency_id, n in rows:
            sums[agency_id][key] += float(n or 0)

    between = lambda col: and_(col >= start, col <= end)  # noqa: E731

    def when(cond, value=1):
        return func.sum(case((cond, value), else_=0))

    # one query per date column, each a conditional sum over the period's range of a covering index
    # (migration 0731): filed → cases and cases from leads; decided → decisions, fines, non-penalty,
    # offsets; closed → withdrawals. Fines and offsets sum their columns, NULLs counting nothing.
    per_column = (
        (Case.filed_on, (("cases_filed", None), ("lead_cases", or_(Case.source == "lead", Case.lead_id.is_not(None))))),
        (Case.decided_on, (("decisions", Case.outcome.in_(("penalty", "revoked"))),
                           ("fines_yuan", (Case.outcome == "penalty", Case.fine)),
                           ("non_penalty", Case.outcome == "non_penalty"),
                           ("offset_cases", Case.offset_yuan > 0),
                           ("offset_yuan", (None, Case.offset_yuan)))),
        (Case.closed_on, (("withdrawn", Case.outcome == "withdrawn"),)),
    )
    def additive(lo: date, hi: date) -> None:
        for col, figures in per_column:
            cols = []
            for _, how in figures:
                if how is None:
                    cols.append(func.count())
                elif isinstance(how, tuple):
                    cond, value = how
                    cols.append(func.sum(value) if cond is None else func.sum(case((cond, value), else_=None)))
                else:
                    cols.append(func.sum(case((how, 1), else_=0)))
            for agency_id, *values in session.execute(case_filter(select(Case.agency_id, *cols).where(
                    col >= lo, col <= hi)).group_by(Case.agency_id)):
                for (key, _), n in zip(figures, values, strict=True):
                    sums[agency_id][key] += float(n or 0)

    if tagged is None and not violation_code and use_summary:
        # whole months from the per-month sums the database keeps (cases.figures), the days at
        # either edge from the cases themselves
        whole, edges = months(start, end)
        if whole is not None:
            kept = summary.rows(CaseMonth.__table__, lambda t: t.c.ym.between(*whole))
            for agency_id, *values in session.execute(
                    select(kept.c.agency_id, *[func.sum(kept.c[k]) for k in FIGURE_COLUMNS])
                    .group_by(kept.c.agency_id)):
                for key, n in zip(FIGURE_COLUMNS, values, strict=True):
                    if n:
                        sums[agency_id][key] += float(n)
        for lo, hi in edges:
            additive(lo, hi)
    else:
        additive(start, end)
    measures = tuple(measures)
    if tagged is None and not violation_code and use_summary:
        # the measures' narrow copy with their case's agency (cases.figures.MEASURES), kept rows
        # and deltas added up per (day, kind, agency, case): a case counts while its rows do
        kept = summary.folded(CaseMeasureDay.__table__, lambda t: t.c.started_on.between(start, end))
        live = select(kept.c.kind, kept.c.agency_id, kept.c.case_id).where(kept.c.measures > 0).subquery()
        if measures:
            for agency_id, kind, n in session.execute(
                    select(live.c.agency_id, live.c.kind, func.count(func.distinct(live.c.case_id)))
                    .where(live.c.kind.in_(measures)).group_by(live.c.agency_id, live.c.kind)):
                sums[agency_id][kind] += float(n or 0)
        add(session.execute(select(live.c.agency_id, func.count(func.distinct(live.c.case_id)))
                            .group_by(live.c.agency_id)), "supporting_measures")
        return sums
    if measures:
        # a case counts once per measure kind (the campaign counts cases, not orders)
        for agency_id, kind, n in session.execute(case_filter(
                select(Case.agency_id, Measure.kind, func.count(func.distinct(Measure.case_id)))
                .join(Measure, Measure.case_id == Case.id)
                .where(Measure.kind.in_(measures), between(Measure.started_on)))
                .group_by(Case.agency_id, Measure.kind)):
            sums[agency_id][kind] += float(n or 0)
    add(session.execute(case_filter(select(Case.agency_id, func.count(func.distinct(Measure.case_id)))
                                    .join(Measure, Measure.case_id == Case.id)
                                    .where(between(Measure.started_on))).group_by(Case.agency_id)),
        "supporting_measures")
    return sums


#: figures ``monthly_sums`` gives by month: the date column that places a case in a month and the
#: condition and value it counts (as ``county_sums`` counts them)
MONTHLY = {
    "cases_filed": ("filed_on", None, None),
    "decisions": ("decided_on", ("penalty", "revoked"), None),
    "fines_yuan": ("decided_on", ("penalty",), "fine"),
    "non_penalty": ("decided_on", ("non_penalty",), None),
    "withdrawn": ("closed_on", ("withdrawn",), None),
}


def monthly_sums(session: Session, year: int, agency_path: str, keys: Iterable[str]) -> dict[int, dict[str, float]]:
    """Month (1–12) → figures of ``year`` for the cases of an agency's subtree: one grouped query
    per date column, with the same conditions as ``county_sums``."""
    from ..registry.models import Agency

    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_column: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        by_column[MONTHLY[k][0]].append(k)
    for column_name, ks in by_column.items():
        col = getattr(Case, column_name)
        cols = []
        for k in ks:
            _, outcomes, value = MONTHLY[k]
            cond = Case.outcome.in_(outcomes) if outcomes else None
            what = getattr(Case, value) if value else 1
            if cond is None:
                cols.append(func.count() if not value else func.sum(what))
            else:
                cols.append(func.sum(case((cond, what), else_=None if value else 0)))
        month = func.extract("month", col)
        stmt = (select(month, *cols).join(Agency, Agency.id == Case.agency_id)
                .where(Agency.path.startswith(agency_path, autoescape=True),
                       col >= date(year, 1, 1), col <= date(year, 12, 31)).group_by(month))
        for m, *values in session.execute(stmt):
            for k, v in zip(ks, values, strict=True):
                out[int(m)][k] += float(v or 0)
    return out


def violation_name(code: str | None) -> str:
    """A violation type as people name it (the discretion rules' name), never its code; "未认定"
    when none is set, the code itself only when the rules no longer know it."""
    if not code:
        return "未认定"
    from .discretion import rules

    for v in rules().violations:
        if v.code == code:
            return v.name
    return code


def filed_lead_ids_select():
    """The same leads as a select (for the database to match in one pass)."""
    return select(Case.lead_id).where(Case.lead_id.is_not(None), Case.filed_on.is_not(None))


def filed_lead_ids(session: Session) -> set[int]:
    """Off-site leads a case has been filed for (the lead-to-case rate's numerator)."""
    return set(session.execute(select(Case.lead_id).where(Case.lead_id.is_not(None), Case.filed_on.is_not(None))
                               .distinct()).scalars())


@dataclass(frozen=True)
class Order:
    """An order a case put on the firm, for the enterprise portal's rectification list:
    ``kind`` correction (责令改正), rectification_plan (限产停产整治方案) or reinspection (按日连续处罚);
    ``due_on`` None when the portal's own rule dates it (a correction order: days from service)."""

    case_id: int
    number: str
    enterprise_id: int
    agency_id: int
    kind: str
    ref: str
    started_on: date
    due_on: date | None
    detail: str


def orders(session: Session, enterprise_ids: Iterable[int] | None = None) -> list[Order]:
    """Orders of decided cases: the correction order that goes with every decision (责令改正, 五书
    同达; dated from service, else from the decision), 限产/停产 measures (their plan due date) and
    按日连续处罚 (the re-inspection date). A closed case keeps its order until the rectification is
    verified (信用修复 waits for it); archived cases are settled and give none."""
    ids = None if enterprise_ids is None else set(enterprise_ids)
    live = Case.stage != "archived"
    cols = (Case.id, Case.number, Case.enterprise_id, Case.agency_id, Case.title)    # columns: called per firm
    stmt = select(*cols, Case.served_on, Case.decided_on).where(Case.decided_on.is_not(None), live)
    mstmt = select(*cols, Measure).join(Measure, Measure.case_id == Case.id).where(
        Measure.kind.in_(("restriction", "suspension", "daily_penalty")), live)
    if ids is not None:
        stmt, mstmt = stmt.where(Case.enterprise_id.in_(ids)), mstmt.where(Case.enterprise_id.in_(ids))
    out = []
    for c in session.execute(stmt.order_by(Case.id)):
        out.append(Order(c.id, c.number, c.enterprise_id, c.agency_id, "correction", "decision",
                         c.served_on or c.decided_on, None, f"责令改正违法行为：{c.title}"))
    for c in session.execute(mstmt.order_by(Case.id, Measure.id)):
        m = c.Measure
        if m.lifted_on is not None:
            continue
        if m.kind == "daily_penalty":
            due = m.ends_on or m.started_on
            out.append(Order(c.id, c.number, c.enterprise_id, c.agency_id, "reinspection", str(m.id), m.started_on,
                             due, f"按日连续处罚：复查前改正违法行为（{c.title}）"))
        else:
            plan_due = (m.data or {}).get("plan_due")
            due = date.fromisoformat(plan_due) if plan_due else m.started_on
            label = "限制生产" if m.kind == "restriction" else "停产整治"
            out.append(Order(c.id, c.number, c.enterprise_id, c.agency_id, "rectification_plan", str(m.id),
                             m.started_on, due, f"{label}：十五个工作日内报送整改方案（{c.title}）"))
    return out


def stage_names() -> dict[str, str]:
    """Case stage → zh-CN name (for pages of other domains that list a firm's cases)."""
    from .workflow import STAGES

    return dict(STAGES)


@dataclass(frozen=True)
class PenaltyRef:
    """A penalty decision as the enterprise's credit record reads it."""
    id: int
    number: str
    agency_id: int
    enterprise_id: int
    title: str
    violation: str
    fine: int
    #: what remains payable after a study-points offset
    owed: int
    decided_on: date
    served_on: date | None
    paid_on: date | None
    stage: str
    closed_on: date | None
    summary: bool
    measures: tuple[str, ...]


def penalties(session: Session, *, enterprise_id: int | None = None, case_ids: Iterable[int] | None = None
              ) -> list[PenaltyRef]:
    """Penalty decisions (outcome penalty; revoked ones are not listed) of one enterprise or of the
    given cases, oldest first, with their payment and the kinds of measures taken."""
    stmt = _penalty_select()
    if enterprise_id is not None:
        stmt = stmt.where(Case.enterprise_id == enterprise_id)
    if case_ids is not None:
        ids = list(case_ids)
        if not ids:
            return []
        stmt = stmt.where(Case.id.in_(ids))
    return _penalty_refs(session, session.execute(stmt.order_by(Case.decided_on, Case.id)).all())


def penalties_by_firm(session: Session, enterprise_ids: Iterable[int]) -> dict[int, list[PenaltyRef]]:
    """``penalties(enterprise_id=…)`` of each of many firms (a sweep over a province's firms), in
    one query per 500 firms: firm → its penalty decisions, oldest first (firms without any are
    left out)."""
    ids = sorted(set(enterprise_ids))
    out: dict[int, list[PenaltyRef]] = {}
    for k in range(0, len(ids), 500):
        stmt = _penalty_select().where(Case.enterprise_id.in_(ids[k:k + 500]))
        for p in _penalty_refs(session, session.execute(stmt.order_by(Case.decided_on, Case.id)).all()):
            out.setdefault(p.enterprise_id, []).append(p)
    return out


def _penalty_select():
    # columns, not Case objects: a firm's credit and positive-list checks call this per firm, and
    # loading whole cases (with their joined relations) cost ten times the query
    return select(Case.id, Case.number, Case.agency_id, Case.enterprise_id, Case.title, Case.discretion, Case.fine,
                  Case.offset_yuan, Case.decided_on, Case.served_on, Case.paid_on, Case.stage, Case.closed_on,
                  Case.summary).where(Case.outcome == "penalty", Case.decided_on.is_not(None))


def _penalty_refs(session: Session, found) -> list[PenaltyRef]:
    kinds: dict[int, set[str]] = defaultdict(set)
    if found:
        for cid, kind in session.execute(select(Measure.case_id, Measure.kind).where(
                Measure.case_id.in_([c.id for c in found]))):
            kinds[cid].add(kind)
    return [PenaltyRef(c.id, c.number, c.agency_id, c.enterprise_id, c.title,
                       ((c.discretion or {}).get("violation") or {}).get("name") or c.title, c.fine or 0,
                       (c.fine or 0) - (c.offset_yuan or 0), c.decided_on, c.served_on, c.paid_on, c.stage, c.closed_on,
                       bool(c.summary), tuple(sorted(kinds[c.id]))) for c in found]


def open_case_count(session: Session, enterprise_id: int) -> int:
    """Cases of the firm not yet closed (clue to served, suspended included)."""
    return int(session.execute(select(func.count()).select_from(Case).where(
        Case.enterprise_id == enterprise_id, Case.stage.not_in(("closed", "archived")))).scalar_one())
