"""案卷评查: draw closed case files per unit (seeded and verifiable like the inspection draw),
assign reviewers from outside the reviewed unit, score on the rules sheet (veto items fail the
file), let the reviewed unit appeal within the period — a second reviewer decides, and only that
decision changes the score — and publish per-unit results with year-on-year change."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases import queries as case_queries
from ..core import audit
from ..core.auth import Actor, require_role, scope
from ..core.calendar import add_days
from ..core.canonical import sha256_hex
from ..core.errors import Conflict, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from ..core.lottery import ticket
from ..core.models import User
from ..core.pagination import Page, PageParams, Sort, page_of, where_choice, where_search
from ..core.timeutil import now
from ..registry.models import Agency
from .models import ReviewFile, ReviewRound
from .rules import Sheet, sheet


def round_sheet(rnd: ReviewRound) -> Sheet:
    """The sheet a round is scored on: the one in force on the day the round was set up."""
    return sheet(rnd.created_at.date())


def file_sheet(session: Session, f: ReviewFile) -> Sheet:
    return round_sheet(session.get(ReviewRound, f.round_id))


#: levels whose agencies decide penalty cases (the seeds review provincial and city files too)
DECIDING_LEVELS = ("province", "city", "county")


def _units(session: Session, reviewing: Agency) -> list[Agency]:
    """Every agency under the reviewing one (itself included) that decides cases."""
    return list(session.execute(select(Agency).where(Agency.level.in_(DECIDING_LEVELS),
                                                     Agency.path.startswith(reviewing.path, autoescape=True))
                                .order_by(Agency.division_code)).scalars())


def draw_files(seed: str, population: list[dict], reviewers: list[dict], params: dict) -> dict:
    """Pure and reproducible: population {case_id, unit_path, unit_id}; reviewers {username,
    agency_path}. k per unit = max(min_per_unit, ceil(ratio × n)) capped at n; a reviewer never
    reviews a file of the unit whose subtree they belong to."""
    digest_hex = sha256_hex({"seed": seed, "population": sha256_hex(population), "reviewers": sha256_hex(reviewers),
                         "params": sha256_hex(params)})
    digest = bytes.fromhex(digest_hex)
    by_unit: dict[int, list[dict]] = {}
    for p in population:
        by_unit.setdefault(p["unit_id"], []).append(p)
    load_ = {r["username"]: 0 for r in reviewers}
    files = []
    for unit_id in sorted(by_unit):
        cases = by_unit[unit_id]
        k = min(len(cases), max(params["min_per_unit"], math.ceil(params["ratio"] * len(cases) - 1e-9)))
        chosen = sorted(cases, key=lambda c: (ticket(digest, f"case:{c['case_id']}"), c["case_id"]))[:k]
        for c in chosen:
            eligible = [r for r in reviewers if not c["unit_path"].startswith(r["agency_path"])]
            if not eligible:
                raise ValidationFailed("没有与被评查单位无关的评查人员", code="review.no_reviewer")
            r = min(eligible, key=lambda r: (load_[r["username"]], ticket(digest, f"rev:{c['case_id']}:{r['username']}")))
            load_[r["username"]] += 1
            files.append({"case_id": c["case_id"], "unit_id": unit_id, "reviewer": r["username"]})
    return {"digest": digest_hex, "files": files}


def create_round(session: Session, actor: Actor, *, agency_id: int, name: str, start: date, end: date,
                 seed: str) -> ReviewRound:
    require_role(actor, "admin", "leader", "reviewer")
    reviewing = session.get(Agency, agency_id)
    if reviewing is None:
        raise NotFound(f"机构 {agency_id} 不存在", code="review.agency_not_found")
    units = {u.id: u for u in _units(session, reviewing)}
    population = [{"case_id": cid, "unit_id": aid, "unit_path": units[aid].path}
                  for cid, aid in case_queries.closed_between(session, start, end) if aid in units]
    reviewers = sorted(({"username": u.username, "agency_path": u_path} for u, u_path in session.execute(
        select(User, Agency.path).join(Agency, User.agency_id == Agency.id)
        .where(Agency.path.startswith(reviewing.path, autoescape=True))) if "reviewer" in (u.roles or [])),
        key=lambda r: r["username"])
    if not population:
        raise ValidationFailed("该期间没有已结案的案卷可供抽取", code="review.empty")
    params = sheet(now().date()).draw.model_dump()
    result = draw_files(seed, population, reviewers, params)
    rnd = ReviewRound(agency_id=reviewing.id, name=name, period_start=start, period_end=end, seed=seed,
                      population_hash=sha256_hex(population), reviewers_hash=sha256_hex(reviewers),
                      result_hash=sha256_hex(result), inputs={"population": population, "reviewers": reviewers,
                                                          "params": params}, created_at=now())
    session.add(rnd)
    session.flush()
    for f in result["files"]:
        session.add(ReviewFile(round_id=rnd.id, case_id=f["case_id"], unit_id=f["unit_id"], reviewer=f["reviewer"],
                               status="assigned", deductions={}, vetoes=[], second_deductions={}, second_vetoes=[],
                               points_total=100))
    audit.record(session, actor, "review.round.create", "review_round", rnd.id,
                 {"seed": seed, "population_hash": rnd.population_hash, "reviewers_hash": rnd.reviewers_hash,
                  "result_hash": rnd.result_hash, "files": len(result["files"])})
    session.flush()
    return rnd


def list_rounds(session: Session) -> list[ReviewRound]:
    return list(session.execute(select(ReviewRound).order_by(ReviewRound.id.desc())).scalars())


#: Sort keys of the round list (newest first by default).
ROUND_SORT = Sort(
    keys={"created": [ReviewRound.id], "name": [ReviewRound.name], "agency": [Agency.division_code],
          "period": [ReviewRound.period_start], "published": [ReviewRound.published_on]},
    default="-created", tiebreak=[ReviewRound.id.desc()],
    labels={"created": "创建时间", "name": "批次", "agency": "组织机构", "period": "结案期间", "published": "公布日期"})


def _rounds_query(session: Session, actor: Actor, *, q: str = "", year: int | None = None, published: str = "",
                  agency_id: int | None = None):
    """The rounds of the reviewing agencies in the actor's jurisdiction (never an enterprise's)."""
    from ..registry import service as registry

    if actor.is_enterprise:
        raise PermissionDenied("企业用户不能查看案卷评查", code="review.forbidden")
    stmt = scope(select(ReviewRound).join(Agency, ReviewRound.agency_id == Agency.id), actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    if year:
        stmt = stmt.where(ReviewRound.period_start <= date(year, 12, 31), ReviewRound.period_end >= date(year, 1, 1))
    if published == "yes":
        stmt = stmt.where(ReviewRound.published_on.is_not(None))
    elif published == "no":
        stmt = stmt.where(ReviewRound.published_on.is_(None))
    elif published:
        raise ValidationFailed("公布状态应为“已公布”或“未公布”", code="review.bad_published")
    stmt = where_search(stmt, q, ReviewRound.name, Agency.name)
    return stmt


def page_rounds(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                **filters) -> Page[ReviewRound]:
    """One page of the rounds the actor may see (newest first unless ``sort``), with the total."""
    return page_of(session, _rounds_query(session, actor, **filters), page, sort=ROUND_SORT, sort_value=sort)


def get_round(session: Session, round_id: int) -> ReviewRound:
    rnd = session.get(ReviewRound, round_id)
    if rnd is None:
        raise NotFound("评查批次不存在", code="review.round_not_found")
    return rnd


def round_files(session: Session, rnd: ReviewRound) -> list[ReviewFile]:
    return list(session.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id)
                                .order_by(ReviewFile.id)).scalars())


def get_file(session: Session, file_id: int) -> ReviewFile:
    f = session.get(ReviewFile, file_id)
    if f is None:
        raise NotFound(f"评查案卷 {file_id} 不存在", code="review.file_not_found")
    return f


def _my_files_query(actor: Actor, status: str = ""):
    stmt = select(ReviewFile).where(
        ((ReviewFile.reviewer == actor.username) & (ReviewFile.status == "assigned"))
        | ((ReviewFile.second_reviewer == actor.username) & (ReviewFile.status == "appealed")))
    return where_choice(stmt, ReviewFile.status, status, {"assigned": "待评分", "appealed": "待复核申诉"}, "待办类型",
                        "review.bad_status")


#: Sorts of a reviewer's waiting files (in the order they were drawn unless asked otherwise).
MY_FILES_SORT = Sort(keys={"drawn": [ReviewFile.id], "round": [ReviewFile.round_id], "case": [ReviewFile.case_id],
                           "status": [ReviewFile.status]},
                     default="drawn", tiebreak=[ReviewFile.id],
                     labels={"drawn": "抽取顺序", "round": "评查活动", "case": "案件", "status": "状态"})


def my_files(session: Session, actor: Actor) -> list[ReviewFile]:
    """Files waiting for this reviewer: first scoring, or an appeal to decide."""
    return list(session.execute(_my_files_query(actor).order_by(*MY_FILES_SORT.order_by(None))).scalars())


def page_my_files(session: Session, actor: Actor, *, status: str = "", sort: str = "",
                  page: PageParams | None = None) -> Page[ReviewFile]:
    """One page of the files waiting for this reviewer (``status``: assigned or appealed), with the total."""
    return page_of(session, _my_files_query(actor, status), page, sort=MY_FILES_SORT, sort_value=sort)


def verify_round(session: Session, rnd: ReviewRound) -> bool:
    inp = rnd.inputs
    again = draw_files(rnd.seed, inp["population"], inp["reviewers"], inp["params"])
    stored = [{"case_id": f.case_id, "unit_id": f.unit_id, "reviewer": f.reviewer} for f in session.execute(
        select(ReviewFile).where(ReviewFile.round_id == rnd.id).order_by(ReviewFile.id)).scalars()]
    return sha256_hex(again) == rnd.result_hash and again["files"] == stored


def _reasons(deductions: dict[str, float], reasons: dict[str, str] | None, sh: Sheet) -> dict[str, str]:
    """Every deducted item needs the reviewer's reason (what is missing or wrong in the file);
    reasons of items not deducted are dropped."""
    items = sh.items()
    reasons = {k: str(v).strip() for k, v in (reasons or {}).items()}
    unknown = [k for k in reasons if k not in items]
    if unknown:
        raise ValidationFailed(f"评分表中没有评查项 {unknown}", code="review.bad_item")
    out = {}
    for k, v in deductions.items():
        if float(v) <= 0:
            continue
        why = reasons.get(k, "")
        if not why:
            raise ValidationFailed(f"“{items[k].text}”扣 {float(v):g} 分，须写明扣分理由", code="review.no_reason_for_deduction")
        if len(why) > 500:
            raise ValidationFailed(f"“{items[k].text}”的扣分理由超过 500 字", code="review.reason_too_long")
        out[k] = why
    return out


def sheet_rows(sh: Sheet, deductions: dict, reasons: dict) -> list[dict]:
    """The scoring sheet as read by a person: each section's items with points, what was deducted
    and why, and the item's remaining points."""
    rows = []
    for s in sh.sections:
        for i in s.items:
            d = float(deductions.get(i.code, 0) or 0)
            rows.append({"section": s.name, "code": i.code, "text": i.text, "points": i.points, "deducted": d,
                         "reason": reasons.get(i.code, ""), "earned": round(i.points - d, 1)})
    return rows


def _score(deductions: dict[str, float], vetoes: list[str], sh: Sheet) -> float:
    items = sh.items()
    bad = [k for k in deductions if k not in items]
    if bad:
        raise ValidationFailed(f"评分表中没有评查项 {bad}", code="review.bad_item")
    for k, v in deductions.items():
        if not 0 <= float(v) <= items[k].points:
            raise ValidationFailed(f"“{items[k].text}”扣分应在 0–{items[k].points} 之间", code="review.bad_deduction")
    unknown = [v for v in vetoes if v not in {x.code for x in sh.veto}]
    if unknown:
        raise ValidationFailed(f"未知的否决项 {unknown}", code="review.bad_veto")
    if vetoes:
        return 0.0
    return round(100 - sum(float(v) for v in deductions.values()), 1)


def score_file(session: Session, actor: Actor, file_id: int, *, deductions: dict[str, float], vetoes: list[str],
               reasons: dict[str, str] | None = None, comment: str = "", on: date | None = None) -> ReviewFile:
    f = get_file(session, file_id)
    if actor.username != f.reviewer and "admin" not in actor.roles:
        raise PermissionDenied("只有分配的评查人员可以评分", code="review.not_reviewer")
    if f.status not in ("assigned", "scored"):
        raise IllegalTransition("已申诉或已定分的案卷不能由初评人员改分", code="review.locked")
    sh = file_sheet(session, f)
    score = _score(deductions, vetoes, sh)
    f.reasons = _reasons(deductions, reasons, sh)
    f.deductions, f.vetoes, f.comment = dict(deductions), list(vetoes), comment
    f.score = score
    f.final_score = f.score
    f.status = "scored"
    f.scored_on = on or now().date()
    audit.record(session, actor, "review.score", "review_file", f.id,
                 {"score": f.score, "deductions": f.deductions, "reasons": f.reasons, "vetoes": f.vetoes})
    return f


def appeal(session: Session, actor: Actor, file_id: int, reason: str, *, on: date | None = None) -> ReviewFile:
    """The reviewed unit's leader appeals within the period; a second reviewer (not the first,
    not from the unit) is assigned."""
    f = get_file(session, file_id)
    unit = session.get(Agency, f.unit_id)
    if not actor.covers(unit.path) or not actor.has("leader", "admin"):
        raise PermissionDenied("只有被评查单位的负责人可以申诉", code="review.not_unit")
    if f.status != "scored":
        raise IllegalTransition("只有已评分、未申诉的案卷可以申诉", code="review.cannot_appeal")
    on = on or now().date()
    last = add_days(f.scored_on, file_sheet(session, f).appeal_working_days, "working")
    if on > last:
        raise IllegalTransition(f"申诉期限已于 {last} 届满", code="review.appeal_late")
    if not reason.strip():
        raise ValidationFailed("申诉须说明理由", code="review.no_reason")
    rnd = session.get(ReviewRound, f.round_id)
    others = [r for r in rnd.inputs["reviewers"]
              if r["username"] != f.reviewer and not unit.path.startswith(r["agency_path"])]
    if not others:
        raise ValidationFailed("没有可复核的第二名评查人员", code="review.no_second")
    digest = bytes.fromhex(rnd.result_hash)
    second = min(others, key=lambda r: ticket(digest, f"appeal:{f.id}:{r['username']}"))
    f.status, f.appeal_reason, f.appeal_by, f.appealed_on = "appealed", reason, actor.username, on
    f.second_reviewer = second["username"]
    audit.record(session, actor, "review.appeal", "review_file", f.id, {"reason": reason, "second": f.second_reviewer})
    return f


def decide_appeal(session: Session, actor: Actor, file_id: int, *, deductions: dict[str, float],
                  vetoes: list[str], reasons: dict[str, str] | None = None, on: date | None = None) -> ReviewFile:
    f = session.get(ReviewFile, file_id)
    if f is None or f.status != "appealed":
        raise IllegalTransition("该案卷没有待复核的申诉", code="review.no_appeal")
    if actor.username != f.second_reviewer:
        raise PermissionDenied("申诉只能由指定的第二名评查人员复核", code="review.not_second")
    sh = file_sheet(session, f)
    final = _score(deductions, vetoes, sh)
    f.second_reasons = _reasons(deductions, reasons, sh)
    f.second_deductions, f.second_vetoes = dict(deductions), list(vetoes)
    f.final_score = final
    f.status = "final"
    f.decided_on = on or now().date()
    audit.record(session, actor, "review.appeal.decide", "review_file", f.id,
                 {"first": f.score, "final": f.final_score, "deductions": f.second_deductions,
                  "reasons": f.second_reasons})
    return f


def unit_results(session: Session, rnd: ReviewRound) -> list[dict]:
    sh = round_sheet(rnd)
    files = session.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id)).scalars().all()
    units = {a.id: a for a in session.execute(select(Agency).where(
        Agency.id.in_({f.unit_id for f in files}))).scalars()}
    out = []
    for unit_id, a in sorted(units.items(), key=lambda kv: kv[1].division_code):
        mine = [f for f in files if f.unit_id == unit_id and f.final_score is not None]
        n = len(mine)
        avg = round(sum(f.final_score for f in mine) / n, 2) if n else None
        out.append({"unit_id": unit_id, "unit": a.name, "division_code": a.division_code, "files": n,
                    "average": avg, "passed": sum(1 for f in mine if f.final_score >= sh.pass_score),
                    "vetoed": sum(1 for f in mine if (f.second_vetoes if f.status == "final" else f.vetoes))})
    return out


def quality_by_unit(session: Session, year: int) -> dict[int, float]:
    """Average final score per reviewed unit over the rounds of a year (evaluation input)."""
    rows = session.execute(select(ReviewFile.unit_id, ReviewFile.final_score).join(
        ReviewRound, ReviewFile.round_id == ReviewRound.id).where(
        ReviewRound.period_start >= date(year, 1, 1), ReviewRound.period_start <= date(year, 12, 31),
        ReviewFile.final_score.is_not(None))).all()
    acc: dict[int, list[float]] = {}
    for unit_id, s in rows:
        acc.setdefault(unit_id, []).append(s)
    return {k: round(sum(v) / len(v), 2) for k, v in acc.items()}


def publish(session: Session, actor: Actor, rnd: ReviewRound, on: date | None = None) -> ReviewRound:
    require_role(actor, "admin", "leader", "reviewer")
    pending = session.execute(select(ReviewFile).where(ReviewFile.round_id == rnd.id,
                                                       ReviewFile.status.in_(("assigned", "appealed")))).scalars().all()
    if pending:
        raise Conflict(f"还有 {len(pending)} 份案卷未评分或申诉未复核", code="review.unfinished")
    rnd.published_on = on or now().date()
    audit.record(session, actor, "review.publish", "review_round", rnd.id, {"results": unit_results(session, rnd)})
    return rnd
