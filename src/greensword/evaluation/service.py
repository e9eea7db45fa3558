"""大练兵评审 / 执法效能评估: the indicator system (rules/evaluation/<year>.yaml) applied to the
statistics, the case-file review and the evaluators' entries; scores with a breakdown, ranks
within a level with ties as ties (并列), outstanding collectives by quota and threshold,
progress collectives by the largest improvement, individuals, and the results notice (.docx)."""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit, cache
from ..core.auth import Actor, check_agency, require_agency_user, require_role
from ..core.errors import NotFound, PermissionDenied, ValidationFailed
from ..core.timeutil import now
from ..registry.models import Agency, Officer
from . import statistics
from .models import Entry
from .rules import scheme


@dataclass
class Card:
    agency_id: int
    name: str
    division_code: str
    total: float = 0.0
    rank: int = 0
    tied: bool = False
    lines: list[dict] = field(default_factory=list)       # indicator, raw value, score, explanation
    outstanding: bool = False
    progress: bool = False
    improvement: float | None = None


def enter(session: Session, actor: Actor, *, year: int, agency_id: int, indicator: str, value: float,
          evidence: str, subject: str = "agency") -> Entry:
    """An evaluator's entered value, with its evidence (one current value per indicator)."""
    require_role(actor, "evaluator", "admin")
    sc = scheme(year)
    spec = {i.code: i for i in sc.indicators} | {a.code: a for a in sc.adjustments} | {
        i.code: i for i in sc.individuals}
    ind = spec.get(indicator)
    if ind is None or getattr(ind, "kind", "entered") != "entered":
        raise ValidationFailed(f"指标 {indicator} 不是评审人员录入的指标", code="evaluation.not_entered")
    lo = getattr(ind, "min", 0)
    hi = getattr(ind, "max", None) if hasattr(ind, "max") else getattr(ind, "max_value", None)
    if hi is not None and not lo <= value <= hi:
        raise ValidationFailed(f"{ind.name} 的取值应在 {lo}–{hi} 之间", code="evaluation.out_of_range")
    if not evidence.strip():
        raise ValidationFailed("录入的评分须附佐证材料说明", code="evaluation.no_evidence")
    old = session.execute(select(Entry).where(Entry.year == year, Entry.subject == subject,
                                              Entry.subject_id == agency_id, Entry.indicator == indicator)
                          ).scalar_one_or_none()
    if old is not None:
        session.delete(old)
        session.flush()
    e = Entry(year=year, subject=subject, subject_id=agency_id, indicator=indicator, value=value,
              evidence=evidence, by=actor.username, at=now())
    session.add(e)
    session.flush()
    audit.record(session, actor, "evaluation.enter", subject, agency_id,
                 {"year": year, "indicator": indicator, "value": value, "evidence": evidence})
    return e


def _entries(session: Session, year: int, subject: str = "agency") -> dict[tuple[int, str], float]:
    return {(subject_id, indicator): value for subject_id, indicator, value in session.execute(
        select(Entry.subject_id, Entry.indicator, Entry.value).where(Entry.year == year, Entry.subject == subject)
        .order_by(Entry.id))}


def _officers(session: Session) -> dict[int, int]:
    """Active certified officers per agency subtree (normaliser for volume indicators); kept per
    data version (core.cache) for every level's and year's ranking. Read only."""
    return cache.cached(session, "evaluation.officers", (), lambda: _count_officers(session), fresh_copy=False)


def _count_officers(session: Session) -> dict[int, int]:
    chains = {aid: chain for aid, _, _, _, chain in statistics.agencies(session)}
    counts: dict[int, int] = dict.fromkeys(chains, 0)
    for aid, n in session.execute(select(Officer.agency_id, func.count()).where(
            Officer.active.is_(True), Officer.cert_no.is_not(None), Officer.cert_no != "").group_by(Officer.agency_id)):
        for anc in chains.get(aid, ()):
            counts[anc] = counts.get(anc, 0) + n
    return counts


def _quality(session: Session, year: int) -> dict[int, float]:
    """The case-file review's average per unit (review.service.quality_by_unit), kept per data
    version for every level's ranking of the year. Read only."""
    from ..review.service import quality_by_unit

    return cache.cached(session, "evaluation.quality", (year,), lambda: quality_by_unit(session, year),
                        fresh_copy=False)


def rank_with_ties(cards: list[Card], decimals: int = 2) -> list[Card]:
    """Competition ranking: equal totals (to ``decimals``) share a rank; the next rank skips."""
    cards.sort(key=lambda c: (-round(c.total, decimals), c.division_code))
    prev, rank = None, 0
    for i, c in enumerate(cards, 1):
        key = round(c.total, decimals)
        if key != prev:
            rank, prev = i, key
        c.rank = rank
    counts: dict[int, int] = {}
    for c in cards:
        counts[c.rank] = counts.get(c.rank, 0) + 1
    for c in cards:
        c.tied = counts[c.rank] > 1
    return cards


def evaluate(session: Session, *, year: int, level: str, start: date | None = None, end: date | None = None,
             previous: bool = True) -> list[Card]:
    """Score and rank every unit of a level for a year (or a half-year with start/end). Kept
    between requests until the next audited write (core.cache)."""
    return cache.cached(session, "evaluation.evaluate", (year, level, start, end, previous),
                        refresh=lambda s: _evaluate(s, year=year, level=level, start=start, end=end,
                                                    previous=previous),
                        copier=_copy_cards)


def _copy_cards(cards: list[Card]) -> list[Card]:
    """A caller's own copy of cached cards: new cards and line dicts (their values are plain
    numbers and text), far cheaper than a deep copy of ≈2,800 county cards."""
    out = []
    for c in cards:
        n = copy.copy(c)
        n.lines = [dict(line) for line in c.lines]
        out.append(n)
    return out


def _evaluate(session: Session, *, year: int, level: str, start: date | None = None, end: date | None = None,
              previous: bool = True) -> list[Card]:
    sc = scheme(year)
    start, end = start or date(year, 1, 1), end or date(year, 12, 31)
    # every agency once per data version (id, name, code, level, ids on its path): the units of the
    # level in code order, and each unit's ancestors for the review/oversight means
    agencies = statistics.agencies(session)
    units = sorted(((aid, name, code) for aid, name, code, lvl, _ in agencies if lvl == level),
                   key=lambda u: u[2])
    if not units:
        return []
    period = statistics.Filters(start, end)
    if previous and sc.selection.get(level):     # last year's ranking is read below (突出进步)
        statistics.prefetch(session, [period, period.same_period_last_year()])
    figs = statistics.compute(session, period, shared=True)        # read only
    entries = _entries(session, year)
    officers = _officers(session)
    quality = _quality(session, year)
    # review quality of a city/province = mean of its counties' averages
    chains = {aid: chain for aid, _, _, _, chain in agencies}

    def by_ancestor(values: dict[int, float]) -> dict[int, list[float]]:
        """Each unit's value listed under the unit and every ancestor (in the values' order)."""
        out: dict[int, list[float]] = {}
        for uid, v in values.items():
            for anc in chains.get(uid, ()):
                out.setdefault(anc, []).append(v)
        return out

    quality_below = by_ancestor(quality)

    def review_value(uid: int) -> float | None:
        vals = quality_below.get(uid)
        return sum(vals) / len(vals) if vals else None

    audited: dict[int, list[float]] | None = None

    def oversight_value(uid: int) -> float | None:
        """The unit audit's result (oversight.service.indicator, 0–100; mean over audited units
        below a city/province); None when no unit was audited that year."""
        nonlocal audited
        if audited is None:
            from ..oversight.service import indicator

            audited = by_ancestor(indicator(session, year=year, on=end))
        vals = audited.get(uid)
        return sum(vals) / len(vals) if vals else None

    indicators = sc.indicators
    raw: dict[int, dict[str, float | None]] = {}
    for uid, _, _ in units:
        r: dict[str, float | None] = {}
        fig = figs[uid]
        for ind in indicators:
            if ind.kind == "statistic":
                v = fig.get(ind.code) or 0.0
                if ind.per == "officers":
                    n = officers.get(uid, 0)
                    v = v / n if n else 0.0
            elif ind.kind == "rate":
                v = fig.get(ind.code)
            elif ind.kind == "review":
                v = review_value(uid)
            elif ind.kind == "oversight":
                v = oversight_value(uid)
            else:
                v = entries.get((uid, ind.code))
            r[ind.code] = v
        raw[uid] = r
    best = {ind.code: max((raw[u[0]][ind.code] or 0.0) for u in units) for ind in indicators
            if ind.kind == "statistic"}
    # how each indicator is scored: (divisor, explanation), the same for every unit of the level
    scoring: list[tuple[float | None, str]] = []
    for ind in indicators:
        if ind.kind == "statistic":
            scoring.append((best[ind.code], f"与同级最高值 {best[ind.code]:.4g} 相比"))
        elif ind.kind in ("rate", "review", "oversight"):
            scoring.append((ind.target, f"目标值 {_g(ind.target)}"))
        else:
            scoring.append((ind.max_value, f"评审录入（满分 {_g(ind.max_value)}）"))
    adjust_how = [f"每百分点 {adj.per_point:g} 分，范围 {adj.min:g}–{adj.max:g}" for adj in sc.adjustments]
    cards = []
    for uid, name, code in units:
        c = Card(uid, name, code)
        r = raw[uid]
        lines = c.lines
        total = 0.0
        for ind, (divisor, how) in zip(indicators, scoring, strict=True):
            v = r[ind.code]
            if v is None:
                share, line_how = 0.0, "无数据，不得分"
            else:
                share, line_how = (min(ind.cap, v / divisor) if divisor else 0.0), how
            pts = round(ind.weight * share, 2)
            total += pts
            lines.append({"code": ind.code, "name": ind.name, "dimension": ind.dimension, "value": v,
                          "weight": ind.weight, "score": pts, "how": line_how})
        for adj, how in zip(sc.adjustments, adjust_how, strict=True):
            v = entries.get((uid, adj.code))
            pts = round(max(adj.min, min(adj.max, (v or 0) * adj.per_point)), 2)
            total += pts
            lines.append({"code": adj.code, "name": adj.name, "dimension": "调整项", "value": v, "weight": None,
                          "score": pts, "how": how})
        c.total = round(total, 2)
        cards.append(c)
    rank_with_ties(cards)
    sel = sc.selection.get(level)
    if sel:
        eligible = [c for c in cards if c.total >= sel.threshold]
        cutoff = eligible[sel.outstanding_quota - 1].rank if len(eligible) >= sel.outstanding_quota else None
        for c in eligible:
            c.outstanding = cutoff is None or c.rank <= cutoff          # a tie at the quota's edge is kept
        if previous:
            try:
                last = {c.agency_id: c.total for c in evaluate(session, year=year - 1, level=level,
                                                               start=start.replace(year=start.year - 1),
                                                               end=end.replace(year=end.year - 1), previous=False)}
            except ValidationFailed:
                last = {}
            for c in cards:
                if c.agency_id in last:
                    c.improvement = round(c.total - last[c.agency_id], 2)
            # 突出进步 is its own list: a unit may be on it and among the 表现突出 too (seed 003: 广西、上海、
            # 重庆、内蒙古 are on both lists of the 2024-02-06 表扬函)
            improved = sorted((c for c in cards if c.improvement and c.improvement > 0),
                              key=lambda c: (-c.improvement, c.division_code))
            for c in improved[:sel.progress_quota]:
                c.progress = True
    return cards


def _g(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def individuals(session: Session, *, year: int, agency: Agency, limit: int | None = None) -> list[dict]:
    """Officers of a unit scored on cases handled, inspections and entered awards (ranked, ties shared)."""
    from ..cases import queries as case_queries
    from ..inspection import queries as inspection_queries

    sc = scheme(year)
    offs = list(session.execute(select(Officer).join(Agency, Officer.agency_id == Agency.id).where(
        Agency.path.startswith(agency.path, autoescape=True), Officer.active.is_(True))).scalars())
    cases = case_queries.decided_by_officer(session, date(year, 1, 1), date(year, 12, 31))
    insp = inspection_queries.inspections_by_officer(session, date(year, 1, 1), date(year, 12, 31))
    entries = _entries(session, year, "officer")
    raw = {o.id: {"cases_handled": cases.get(o.id, 0), "inspections_done": insp.get(o.id, 0),
                  "awards": entries.get((o.id, "awards"))} for o in offs}
    best = {k: max([r[k] or 0 for r in raw.values()] or [0]) for k in ("cases_handled", "inspections_done")}
    cards = []
    for o in offs:
        c = Card(o.id, o.name, f"{o.id:08d}")
        for ind in sc.individuals:
            v = raw[o.id].get(ind.code)
            if ind.kind == "entered":
                share = min(1.0, (v or 0) / ind.max_value) if ind.max_value else 0.0
            else:
                share = (v or 0) / best[ind.code] if best.get(ind.code) else 0.0
            pts = round(ind.weight * share, 2)
            c.total += pts
            c.lines.append({"code": ind.code, "name": ind.name, "value": v, "score": pts})
        c.total = round(c.total, 2)
        cards.append(c)
    rank_with_ties(cards)
    return [{"officer_id": c.agency_id, "name": c.name, "total": c.total, "rank": c.rank, "tied": c.tied,
             "lines": c.lines} for c in (cards if limit is None else cards[:limit])]


def card_for(session: Session, *, year: int, agency_id: int) -> Card:
    a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="evaluation.agency_not_found")
    for c in evaluate(session, year=year, level=a.level):
        if c.agency_id == agency_id:
            return c
    raise NotFound("该机构不参加评估", code="evaluation.not_ranked")


def visible_units(session: Session, actor: Actor) -> set[int]:
    """Ids of the units whose evaluation results the actor may read (its own subtree); rankings
    and score cards are internal to the agencies."""
    require_agency_user(actor, "评估排名")
    return {i for i, path in session.execute(select(Agency.id, Agency.path)) if actor.covers(path)}


def notice_issuer(session: Session, actor: Actor) -> Agency:
    """The results notice spans every unit of a level: issued by provincial (or ministry) staff."""
    require_agency_user(actor, "评估通报")
    require_role(actor, "leader", "admin", "evaluator")
    a = session.get(Agency, actor.agency_id) if actor.agency_id else None
    if a is None or a.level not in ("ministry", "province"):
        raise PermissionDenied("评估结果通报仅限省级及以上生态环境部门出具", code="evaluation.notice_scope")
    return a


def unit_for(session: Session, actor: Actor, agency_id: int | None) -> Agency:
    """The unit a report is about: the given agency, else the actor's own, else the province;
    within the actor's jurisdiction."""
    if agency_id is None:
        a = session.get(Agency, actor.agency_id) if actor.agency_id else None
        if a is None:
            a = session.execute(select(Agency).where(Agency.level == "province")).scalars().first()
    else:
        a = session.get(Agency, agency_id)
    if a is None:
        raise NotFound("机构不存在", code="evaluation.agency_not_found")
    check_agency(actor, a.path, "该机构")
    return a


def period_filters(year: int | None, start: date | None, end: date | None, tag: str,
                   violation: str) -> statistics.Filters:
    """Report filters from a request: the whole year unless start/end are given."""
    y = year or now().year
    return statistics.Filters(start or date(y, 1, 1), end or date(y, 12, 31), tag or None, violation or None)


def statistics_xlsx(session: Session, unit: Agency, f: statistics.Filters) -> bytes:
    """The monthly report to the level above: one row per subordinate unit and the total; for every
    figure its value, 同比 (the same dates last year) and 环比 (the adjacent earlier period), as on
    the statistics page. Counts and money change in %, rates in 个百分点; a change that is not
    given (base too small, whole-year 环比) is "—" with the reason in the notes row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rep = statistics.report(session, unit, f)
    wb = Workbook()
    ws = wb.active
    ws.title = "执法统计月报"
    keys = list(statistics.LABELS)
    ws.append([f"{unit.name}生态环境执法统计报表"])
    prev = rep["previous"]
    ws.append([f"统计期间：{f.start.isoformat()} 至 {f.end.isoformat()}；同比对比期：{rep['last_year'].start.isoformat()} 至 "
               f"{rep['last_year'].end.isoformat()}；环比对比期：{prev.start.isoformat()} 至 {prev.end.isoformat()}"
               + (f"；专项行动：{f.tag}" if f.tag else "")
               + (f"；违法类型：{statistics.violation_name(f.violation_code)}" if f.violation_code else "")])
    header = ["单位"]
    for k in keys:
        header += [statistics.LABELS[k], f"{statistics.LABELS[k]}同比", f"{statistics.LABELS[k]}环比"]
    ws.append(header)
    ws["A1"].font = Font(bold=True, size=14)
    rows = [*rep["children"], rep["unit"]]
    for row in rows:
        name = row["agency"] if row is not rep["unit"] else f"{row['agency']}（合计）"
        ws.append([name] + [v for k in keys for v in (row[k] if row[k] is not None else "—",
                                                       _change(row["yoy"][k]), _change(row["chain"][k]))])
        r = ws.max_row
        for n, k in enumerate(keys):
            value, yoy, chain = (ws.cell(r, 2 + 3 * n + d) for d in range(3))
            if k in statistics.RATES:
                value.number_format = "0.0%"
                for c in (yoy, chain):
                    if isinstance(c.value, float):
                        c.value = round(c.value * 100, 2)
                        c.number_format = '+0.0" 个百分点";-0.0" 个百分点";0.0" 个百分点"'
            else:
                value.number_format = "#,##0.##" if k != "fines_yuan" else "#,##0.00"
                for c in (yoy, chain):
                    if isinstance(c.value, float):
                        c.number_format = "+0.0%;-0.0%;0.0%"
    notes = {}
    for k in keys:
        why = rep["unit"]["yoy_note"][k] or rep["unit"]["chain_note"][k]
        if why:
            notes[statistics.LABELS[k]] = why
    ws.append([])
    ws.append(["说明：同比 = 与上年同期相比；环比 = 与上一期相比；比率的变化以个百分点计；“—”表示不计算（原因见下）。"])
    for label, why in notes.items():
        ws.append([f"{label}（合计行）：{why}"])
    for cell in ws[3]:
        cell.alignment = Alignment(wrap_text=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _change(v):
    return "—" if v is None else float(v)


def rank_label(c: Card) -> str:
    return f"第{c.rank}名" + ("（并列）" if c.tied else "")


def notice_docx(session: Session, *, year: int, level: str, issuer: str) -> bytes:
    """A results notice in the style of the ministry's 表扬函."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    cards = evaluate(session, year=year, level=level)
    level_name = {"province": "省级", "city": "市级", "county": "县级"}.get(level, level)
    doc = Document()
    p = doc.add_paragraph(f"关于{year}年生态环境保护执法大练兵{level_name}表现突出集体的通报")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = [c for c in cards if c.outstanding]
    prog = [c for c in cards if c.progress]
    doc.add_paragraph(f"按照大练兵评审细则要求，我们从大练兵活动组织情况、队伍建设、日常监督执法、实战练兵、"
                      f"专项行动等方面，结合空气质量变化情况进行了综合评估。{len(out)}个集体表现突出，"
                      f"{len(prog)}个集体进步突出，现予通报表扬。")
    doc.add_paragraph(f"一、{level_name}表现突出集体（{len(out)}个）")
    doc.add_paragraph("、".join(c.name + (f"（并列第{c.rank}）" if c.tied else "") for c in out) or "无")
    doc.add_paragraph(f"二、{level_name}突出进步集体（{len(prog)}个）")
    doc.add_paragraph("、".join(c.name for c in prog) or "无")
    doc.add_paragraph("三、综合评分排名")
    table = doc.add_table(rows=1, cols=3)
    for i, h in enumerate(("名次", "单位", "得分")):
        table.rows[0].cells[i].text = h
    for c in cards:
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = rank_label(c), c.name, f"{c.total:.2f}"
    doc.add_paragraph(issuer)
    doc.add_paragraph(f"{now().year}年{now().month}月{now().day}日")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def prewarm(session: Session) -> None:
    """Compute the figures the statistics and ranking pages open with (this year, every level, and
    the 同比/环比 periods the report compares) so a worker's first visitors do not wait for them: on
    the national data set each takes 1–3 s (core.cache keeps them per worker)."""
    root = session.execute(select(Agency).order_by(func.length(Agency.path), Agency.id).limit(1)).scalar_one_or_none()
    if root is None:
        return
    f = period_filters(None, None, None, "", "")
    statistics.report(session, root, f)
    y = f.start.year
    for level in ("county", "city", "province"):
        evaluate(session, year=y, level=level, start=date(y, 1, 1), end=date(y, 12, 31))

