"""Skills competitions (技能比武): an event with weighted rounds — a theory exam, judged rounds
scored on a sheet (on-site simulation, 笔录 writing, sampling, drone) and an off-site screening
round in which each contestant marks the violations in a labelled monitoring data set produced by
the off-site generator, scored automatically by precision and recall against the labels.

Judges never score a contestant of their own unit. Individual totals are the weighted sum of the
round scores (a judged round: the mean of its judges' sheets); ranks share ties as the evaluation
ranking does (equal totals to two decimals share a rank, the next rank skips); a team is a unit,
scored by the mean of its contestants' totals."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..core.locks import lock_row
from ..core.pagination import Page, PageParams, Sort, page_of, where_choice, where_search
from ..core.timeutil import now
from ..registry.models import Agency, Officer
from ..settings import get_settings
from . import rules
from .models import Attempt, Competition, Contestant, Judge, Round, Score

KINDS = {"theory": "理论考试", "onsite": "现场执法模拟", "record": "笔录制作", "offsite": "非现场数据筛查",
         "sampling": "采样", "drone": "无人机操控"}
JUDGED = ("onsite", "record", "sampling", "drone")


def create(session: Session, actor: Actor, *, agency_id: int, title: str, level: str, held_on: date,
           rounds: list[dict] | None = None) -> Competition:
    """rounds: [{kind, name, weight, sheet?}], default the rules' rounds; weights must sum to 1."""
    require_role(actor, "admin", "leader")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("机构不存在", code="training.agency_not_found")
    check_agency(actor, agency.path, "该机构")
    if level not in rules.LEVELS:
        raise ValidationFailed("比武级别应为县级、市级、省级或国家级", code="training.bad_level")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("比武名称不能为空", code="training.bad_title")
    specs = rounds if rounds is not None else [r.model_dump() for r in rules.competition().rounds]
    if not specs:
        raise ValidationFailed("比武至少需要一个环节", code="training.no_rounds")
    for s in specs:
        if s["kind"] not in KINDS:
            raise ValidationFailed(f"未知的比武环节 {s['kind']}", code="training.bad_round")
        if not 0 < float(s["weight"]) <= 1:
            raise ValidationFailed("环节权重应在 0–1 之间", code="training.bad_weight")
        if s["kind"] in JUDGED and not s.get("sheet"):
            raise ValidationFailed(f"评委打分环节“{s['name']}”须有评分表", code="training.no_sheet")
    total = sum(float(s["weight"]) for s in specs)
    if abs(total - 1.0) > 1e-6:
        raise ValidationFailed(f"各环节权重之和应为1（现为 {total:g}）", code="training.weights_not_one")
    c = Competition(agency_id=agency_id, title=title[:200], level=level, held_on=held_on, status="open",
                    created_at=now())
    session.add(c)
    session.flush()
    for i, s in enumerate(specs):
        session.add(Round(competition_id=c.id, kind=s["kind"], name=s["name"], weight=float(s["weight"]),
                          position=i, sheet=list(s.get("sheet") or []), dataset={}))
    session.flush()
    audit.record(session, actor, "training.competition.create", "training_competition", c.id,
                 {"title": c.title, "level": level, "held_on": held_on, "rounds": specs})
    return c


def get(session: Session, competition_id: int, *, lock: bool = False) -> Competition:
    """``lock=True`` for a change (entries, scores, marks, publication): the competition is locked
    until the commit and read after the lock (core.locks), so nothing is scored into a competition
    while it is published, and each step happens once."""
    c = lock_row(session, Competition, competition_id) if lock else session.get(Competition, competition_id)
    if c is None:
        raise NotFound("比武不存在", code="training.competition_not_found")
    return c


def _managed(session: Session, actor: Actor, competition_id: int) -> Competition:
    c = get(session, competition_id, lock=True)
    require_role(actor, "admin", "leader")
    check_agency(actor, session.get(Agency, c.agency_id).path, "该比武")
    if c.status == "published":
        raise Conflict("比武成绩已发布，不能再修改", code="training.competition_published")
    return c


def rounds_of(session: Session, competition_id: int) -> list[Round]:
    return list(session.execute(select(Round).where(Round.competition_id == competition_id)
                                .order_by(Round.position)).scalars())


def contestants(session: Session, competition_id: int) -> list[Contestant]:
    return list(session.execute(select(Contestant).where(Contestant.competition_id == competition_id)
                                .order_by(Contestant.id)).scalars())


def judges(session: Session, competition_id: int) -> list[Judge]:
    return list(session.execute(select(Judge).where(Judge.competition_id == competition_id)
                                .order_by(Judge.id)).scalars())


def add_contestant(session: Session, actor: Actor, competition_id: int, officer_id: int) -> Contestant:
    c = _managed(session, actor, competition_id)
    o = session.get(Officer, officer_id)
    if o is None:
        raise NotFound(f"执法人员 {officer_id} 不存在", code="training.officer_not_found")
    check_agency(actor, o.agency.path, "该执法人员")
    if session.execute(select(Judge.id).where(Judge.competition_id == c.id, Judge.officer_id == o.id)).first():
        raise Conflict("评委不能同时作为选手", code="training.judge_is_contestant")
    if session.execute(select(Contestant.id).where(Contestant.competition_id == c.id,
                                                   Contestant.officer_id == o.id)).first():
        raise Conflict("该选手已报名", code="training.already_entered")
    ct = Contestant(competition_id=c.id, officer_id=o.id, agency_id=o.agency_id)
    session.add(ct)
    session.flush()
    audit.record(session, actor, "training.competition.enter", "training_contestant", ct.id,
                 {"competition_id": c.id, "officer_id": o.id, "agency_id": o.agency_id})
    return ct


def add_judge(session: Session, actor: Actor, competition_id: int, officer_id: int) -> Judge:
    c = _managed(session, actor, competition_id)
    o = session.get(Officer, officer_id)
    if o is None:
        raise NotFound(f"执法人员 {officer_id} 不存在", code="training.officer_not_found")
    if session.execute(select(Contestant.id).where(Contestant.competition_id == c.id,
                                                   Contestant.officer_id == o.id)).first():
        raise Conflict("选手不能担任评委", code="training.judge_is_contestant")
    if session.execute(select(Judge.id).where(Judge.competition_id == c.id, Judge.officer_id == o.id)).first():
        raise Conflict("该评委已在名单中", code="training.already_judge")
    j = Judge(competition_id=c.id, officer_id=o.id, agency_id=o.agency_id)
    session.add(j)
    session.flush()
    audit.record(session, actor, "training.competition.judge", "training_judge", j.id,
                 {"competition_id": c.id, "officer_id": o.id, "agency_id": o.agency_id})
    return j


def _round(session: Session, round_id: int) -> Round:
    r = session.get(Round, round_id)
    if r is None:
        raise NotFound("比武环节不存在", code="training.round_not_found")
    return r


def _contestant(session: Session, r: Round, contestant_id: int) -> Contestant:
    ct = session.get(Contestant, contestant_id)
    if ct is None or ct.competition_id != r.competition_id:
        raise NotFound("该选手不在本次比武中", code="training.contestant_not_found")
    return ct


def score_sheet(session: Session, actor: Actor, round_id: int, contestant_id: int, items: dict[str, float], *,
                judge_id: int | None = None) -> Score:
    """A judge's sheet. The judge is the actor's own officer record (an admin may enter a paper
    sheet for a named judge); a judge of the contestant's own unit is refused."""
    r = _round(session, round_id)
    if r.kind not in JUDGED:
        raise ValidationFailed(f"“{r.name}”不是评委打分环节", code="training.not_judged")
    c = get(session, r.competition_id, lock=True)
    if c.status == "published":
        raise Conflict("比武成绩已发布，不能再修改", code="training.competition_published")
    ct = _contestant(session, r, contestant_id)
    if judge_id is None:
        j = session.execute(select(Judge).where(Judge.competition_id == c.id,
                                                Judge.officer_id == actor.officer_id)).scalar_one_or_none()
        if j is None:
            raise PermissionDenied("您不是本次比武的评委", code="training.not_a_judge")
    else:
        require_role(actor, "admin")
        j = session.get(Judge, judge_id)
        if j is None or j.competition_id != c.id:
            raise NotFound("评委不存在", code="training.judge_not_found")
    if j.agency_id == ct.agency_id:
        raise PermissionDenied("评委不得为本单位选手评分（回避）", code="training.judge_same_unit")
    sheet = {s["code"]: s for s in r.sheet}
    missing = [s["item"] for code, s in sheet.items() if code not in items]
    if missing:
        raise ValidationFailed("评分表未填完：" + "、".join(missing), code="training.sheet_incomplete")
    extra = [k for k in items if k not in sheet]
    if extra:
        raise ValidationFailed(f"评分表没有这些项目：{'、'.join(extra)}", code="training.sheet_unknown_item")
    for code, v in items.items():
        if not 0 <= float(v) <= float(sheet[code]["max"]):
            raise ValidationFailed(f"“{sheet[code]['item']}”应在 0–{sheet[code]['max']:g} 分之间",
                                   code="training.sheet_out_of_range")
    points = round(100.0 * sum(float(v) for v in items.values()) / sum(float(s["max"]) for s in r.sheet), 2)
    key = f"j{j.id}"
    old = session.execute(select(Score).where(Score.round_id == r.id, Score.contestant_id == ct.id,
                                              Score.judge_key == key)).scalar_one_or_none()
    if old is not None:
        session.delete(old)
        session.flush()
    s = Score(round_id=r.id, contestant_id=ct.id, judge_id=j.id, judge_key=key, points=points,
              items={k: float(v) for k, v in items.items()}, detail={}, at=now())
    session.add(s)
    session.flush()
    audit.record(session, actor, "training.competition.score", "training_score", s.id,
                 {"round_id": r.id, "contestant_id": ct.id, "judge_id": j.id, "items": s.items, "points": points})
    return s


def link_exam(session: Session, actor: Actor, round_id: int, exam_id: int) -> Round:
    r = _round(session, round_id)
    _managed(session, actor, r.competition_id)
    if r.kind != "theory":
        raise ValidationFailed("只有理论考试环节可以关联考试", code="training.not_theory")
    from .exams import get_exam

    get_exam(session, exam_id)
    r.exam_id = exam_id
    audit.record(session, actor, "training.competition.link_exam", "training_round", r.id, {"exam_id": exam_id})
    return r


# --- off-site screening round ----------------------------------------------------------------

def dataset_dir(round_id: int) -> Path:
    return get_settings().data_dir / "training" / "offsite" / str(round_id)


def prepare_offsite(session: Session, actor: Actor, round_id: int, *, seed: int, start: date, points: int = 4,
                    days: int = 2, counts: dict[str, int] | None = None) -> Round:
    """Generate the round's labelled data set with the off-site generator (its public entry
    point); the labels stay with the round and are never shown to contestants."""
    r = _round(session, round_id)
    _managed(session, actor, r.competition_id)
    if r.kind != "offsite":
        raise ValidationFailed("只有非现场筛查环节需要生成数据集", code="training.not_offsite")
    if session.execute(select(Score.id).where(Score.round_id == r.id)).first():
        raise Conflict("已有选手提交标记，不能重新生成数据集", code="training.offsite_marked")
    if not 1 <= points <= 50 or not 1 <= days <= 14:
        raise ValidationFailed("数据集规模：监测点 1–50 个，天数 1–14 天", code="training.bad_dataset_size")
    counts = counts or {"exceedance": 2, "flatline": 1, "sudden_drop": 1, "missing_data": 1}
    generator = _offsite_generator()
    root = dataset_dir(r.id)
    if root.exists():
        import shutil

        shutil.rmtree(root)
    root.mkdir(parents=True)
    try:
        _pts, labels, _limits = generator.generate(root / "lake", points=points, days=days, start=start, seed=seed,
                                                   counts=counts, prefix=f"C{r.id:03d}")
    except (RuntimeError, ValueError) as exc:
        raise ValidationFailed(f"无法按该规模生成数据集（{exc}），请增加监测点或天数",
                               code="training.dataset_failed") from exc
    labels = [{"mn": x["mn"], "factor": x.get("factor", ""), "detector": x["detector"],
               "start": str(x["start"]), "end": str(x["end"])} for x in labels]
    mns = {x["mn"] for x in labels} | {p.mn for p in _pts or []}
    for p in _pts or []:
        for m in getattr(p, "meters", None) or []:               # power meters on their own MNs
            mns.add(m[0] if isinstance(m, tuple | list) else str(m))
    r.dataset = {"seed": seed, "start": start.isoformat(), "points": points, "days": days, "counts": counts,
                 "generator": generator.__name__, "labels": labels, "mns": sorted(mns)}
    audit.record(session, actor, "training.competition.offsite_dataset", "training_round", r.id,
                 {k: v for k, v in r.dataset.items() if k != "labels"} | {"labels": len(labels)})
    return r


def _offsite_generator():
    """The off-site domain's labelled-data generator, by its public entry point
    ``generate(root, *, points, days, start, seed, counts, prefix) -> (points, labels, limits)``
    (the adversarial generator where it exists, else the original one)."""
    import importlib
    import importlib.util

    for name in ("greensword.offsite.adversary", "greensword.offsite.generator"):
        if importlib.util.find_spec(name) is not None:
            return importlib.import_module(name)
    raise ValidationFailed("非现场数据生成器不可用", code="training.no_generator")


def _overlap(mark: dict, label: dict) -> bool:
    return (mark["mn"] == label["mn"] and datetime.fromisoformat(mark["start"]) < datetime.fromisoformat(label["end"])
            and datetime.fromisoformat(label["start"]) < datetime.fromisoformat(mark["end"]))


def score_marks(marks: list[dict], labels: list[dict], beta: float = 1.0) -> dict:
    """Precision = marks overlapping a label (same MN) / marks; recall = labels overlapped by a
    mark / labels; points = 100 × F-beta. Independent of the off-site detectors."""
    tp_marks = sum(1 for m in marks if any(_overlap(m, x) for x in labels))
    tp_labels = sum(1 for x in labels if any(_overlap(m, x) for m in marks))
    precision = tp_marks / len(marks) if marks else 0.0
    recall = tp_labels / len(labels) if labels else (1.0 if not marks else 0.0)
    if precision + recall == 0:
        f = 0.0
    else:
        b2 = beta * beta
        f = (1 + b2) * precision * recall / (b2 * precision + recall)
    return {"marks": len(marks), "labels": len(labels), "true_marks": tp_marks, "found_labels": tp_labels,
            "precision": round(precision, 4), "recall": round(recall, 4), "points": round(100 * f, 2)}


def _clean_marks(marks: list[dict], mns: set[str]) -> list[dict]:
    out = []
    if len(marks) > 500:
        raise ValidationFailed("标记不得超过500条", code="training.too_many_marks")
    for i, m in enumerate(marks, 1):
        try:
            s, e = datetime.fromisoformat(str(m["start"])), datetime.fromisoformat(str(m["end"]))
        except (KeyError, ValueError) as exc:
            raise ValidationFailed(f"第{i}条标记的起止时间格式不正确", code="training.bad_mark") from exc
        if e <= s:
            raise ValidationFailed(f"第{i}条标记的结束时间应晚于开始时间", code="training.bad_mark")
        mn = str(m.get("mn", "")).strip()
        if mn not in mns:
            raise ValidationFailed(f"第{i}条标记的监测点 {mn} 不在数据集中", code="training.bad_mark")
        out.append({"mn": mn, "start": s.isoformat(), "end": e.isoformat(), "kind": str(m.get("kind", ""))[:30]})
    return out


def submit_marks(session: Session, actor: Actor, round_id: int, marks: list[dict]) -> Score:
    """A contestant hands in his marks once; they are scored against the labels at once."""
    r = _round(session, round_id)
    if r.kind != "offsite" or not r.dataset.get("labels") and not r.dataset.get("mns"):
        raise ValidationFailed("该环节没有可筛查的数据集", code="training.no_dataset")
    c = get(session, r.competition_id, lock=True)
    if c.status == "published":
        raise Conflict("比武成绩已发布", code="training.competition_published")
    ct = session.execute(select(Contestant).where(Contestant.competition_id == c.id,
                                                  Contestant.officer_id == actor.officer_id)).scalar_one_or_none()
    if ct is None:
        raise PermissionDenied("您不是本次比武的选手", code="training.not_a_contestant")
    if session.execute(select(Score.id).where(Score.round_id == r.id, Score.contestant_id == ct.id)).first():
        raise Conflict("已提交过标记，不能重复提交", code="training.marks_submitted")
    clean = _clean_marks(marks, set(r.dataset.get("mns", [])))
    result = score_marks(clean, r.dataset["labels"], rules.competition().offsite.beta)
    s = Score(round_id=r.id, contestant_id=ct.id, judge_id=None, judge_key="auto", points=result["points"],
              items={}, detail=result | {"submitted": clean}, at=now())
    session.add(s)
    session.flush()
    audit.record(session, actor, "training.competition.marks", "training_score", s.id,
                 {"round_id": r.id, "contestant_id": ct.id, "marks": clean, "result": result})
    return s


# --- results ------------------------------------------------------------------------------------

def rank_with_ties(rows: list[dict], key: str = "total", decimals: int = 2, tiebreak: str = "name") -> list[dict]:
    """Competition ranking as in the evaluation: equal totals (to ``decimals``) share a rank, the
    next rank skips (1, 1, 3); ``tied`` marks shared ranks."""
    rows.sort(key=lambda r: (-round(r[key], decimals), str(r.get(tiebreak, ""))))
    prev, rank = None, 0
    for i, r in enumerate(rows, 1):
        k = round(r[key], decimals)
        if k != prev:
            rank, prev = i, k
        r["rank"] = rank
    counts: dict[int, int] = {}
    for r in rows:
        counts[r["rank"]] = counts.get(r["rank"], 0) + 1
    for r in rows:
        r["tied"] = counts[r["rank"]] > 1
    return rows


def _round_points(session: Session, r: Round, ct: Contestant) -> float | None:
    if r.kind == "theory":
        if r.exam_id is None:
            return None
        a = session.execute(select(Attempt).where(Attempt.exam_id == r.exam_id,
                                                  Attempt.officer_id == ct.officer_id)).scalar_one_or_none()
        return a.score if a is not None and a.score is not None else None
    scores = session.execute(select(Score.points).where(Score.round_id == r.id, Score.contestant_id == ct.id)
                             ).scalars().all()
    if not scores:
        return None
    return round(sum(scores) / len(scores), 2)


def individual_results(session: Session, competition_id: int) -> dict:
    """Every contestant's round scores, weighted total and rank (ties shared). A missing round
    counts 0 and marks the row incomplete. Read-only; for evaluation and the notice."""
    c = get(session, competition_id)
    rs = rounds_of(session, c.id)
    rows = []
    for ct in contestants(session, c.id):
        per, total, complete = {}, 0.0, True
        for r in rs:
            p = _round_points(session, r, ct)
            per[r.id] = p
            if p is None:
                complete = False
            total += r.weight * (p or 0.0)
        rows.append({"contestant_id": ct.id, "officer_id": ct.officer_id, "name": ct.officer.name,
                     "agency_id": ct.agency_id, "agency": ct.agency.name, "rounds": per,
                     "total": round(total, 2), "complete": complete})
    rank_with_ties(rows, decimals=rules.competition().tie_decimals)
    return {"competition_id": c.id, "title": c.title, "level": c.level, "held_on": c.held_on,
            "published": c.status == "published", "rounds": [{"id": r.id, "kind": r.kind, "name": r.name,
                                                              "weight": r.weight} for r in rs], "rows": rows}


def team_results(session: Session, competition_id: int) -> list[dict]:
    """Units ranked by the mean total of their contestants (ties shared)."""
    res = individual_results(session, competition_id)
    teams: dict[int, dict] = {}
    for r in res["rows"]:
        t = teams.setdefault(r["agency_id"], {"agency_id": r["agency_id"], "name": r["agency"], "members": 0,
                                              "sum": 0.0})
        t["members"] += 1
        t["sum"] += r["total"]
    rows = [t | {"total": round(t["sum"] / t["members"], 2)} for t in teams.values()]
    for t in rows:
        t.pop("sum")
    return rank_with_ties(rows, decimals=rules.competition().tie_decimals)


def publish(session: Session, actor: Actor, competition_id: int) -> Competition:
    c = _managed(session, actor, competition_id)
    res = individual_results(session, c.id)
    incomplete = [r["name"] for r in res["rows"] if not r["complete"]]
    if incomplete:
        raise ValidationFailed("以下选手尚有环节无成绩：" + "、".join(incomplete), code="training.results_incomplete")
    c.status = "published"
    audit.record(session, actor, "training.competition.publish", "training_competition", c.id,
                 {"results": json.loads(json.dumps([{k: r[k] for k in ("officer_id", "total", "rank", "tied")}
                                                    for r in res["rows"]]))})
    return c


COMPETITION_STATUS = {"open": "进行中", "published": "已发布"}

#: Sort keys of the competition list (the latest held first by default).
COMPETITION_SORT = Sort(keys={"held": [Competition.held_on], "title": [Competition.title],
                              "level": [Competition.level], "agency": [Agency.division_code]},
                        default="-held", tiebreak=[Competition.id.desc()],
                        labels={"held": "举办日期", "title": "名称", "level": "级别", "agency": "主办单位"})


def _competitions_query(*, q: str = "", year: int | None = None, level: str = "", status: str = ""):
    """Every competition (they are open to all officers), narrowed by the list's filters."""
    stmt = select(Competition).join(Agency, Competition.agency_id == Agency.id)
    if year:
        stmt = stmt.where(Competition.held_on >= date(year, 1, 1), Competition.held_on <= date(year, 12, 31))
    stmt = where_choice(stmt, Competition.level, level, rules.LEVEL_NAMES, "比武级别", "training.bad_level")
    stmt = where_choice(stmt, Competition.status, status, COMPETITION_STATUS, "比武状态", "training.bad_status")
    return where_search(stmt, q, Competition.title, Agency.name)


def page_competitions(session: Session, *, sort: str = "", page: PageParams | None = None,
                      **filters) -> Page[Competition]:
    """One page of the competitions (latest first unless ``sort``), with the total."""
    return page_of(session, _competitions_query(**filters), page, sort=COMPETITION_SORT, sort_value=sort)


def list_competitions(session: Session, *, year: int | None = None) -> list[Competition]:
    stmt = select(Competition)
    if year:
        stmt = stmt.where(Competition.held_on >= date(year, 1, 1), Competition.held_on <= date(year, 12, 31))
    return list(session.execute(stmt.order_by(Competition.held_on.desc(), Competition.id.desc())).scalars())


def results_for_year(session: Session, year: int) -> list[dict]:
    """Published competitions of a year with their team results: what evaluation reads."""
    out = []
    for c in list_competitions(session, year=year):
        if c.status != "published":
            continue
        out.append({"competition_id": c.id, "title": c.title, "level": c.level, "held_on": c.held_on,
                    "teams": team_results(session, c.id)})
    return out
