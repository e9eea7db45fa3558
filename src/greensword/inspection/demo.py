"""Demo stage: a year of quarterly double-random plans per county, drawn with published seeds,
with on-site records for what was due (a few late uploads, some violations handed to cases,
a few plans' tasks left undone), plus targeted checks from complaints and leads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import bindparam, select, update

from ..core import audit
from ..core.timeutil import TZ
from ..registry.models import Agency, Enterprise, Officer
from . import service
from .models import CaseReferral, Record, Task

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _name(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def _quarters(start: date, today: date) -> list[tuple[date, date]]:
    """The quarters from the one holding ``start`` to the one holding ``today``."""
    out = []
    y, q = start.year, (start.month - 1) // 3 + 1
    while (y, q) <= (today.year, (today.month - 1) // 3 + 1):
        out.append(service.quarter_bounds(y, q))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def generate(session, ctx) -> None:
    rng = ctx.rng("inspection")
    counties = list(session.execute(select(Agency).where(Agency.level == "county").order_by(Agency.division_code))
                    .scalars())
    officer_names = dict(session.execute(select(Officer.id, Officer.name)).all())
    quarters = _quarters(ctx.start, ctx.today)
    bar = ctx.task("双随机抽查计划与检查记录", len(counties) * len(quarters))
    submitted: list[tuple[dict, int]] = []
    done: list[int] = []                                   # drawn tasks with a submitted record
    for county in counties:
        n_off = sum(1 for _ in session.execute(select(Officer.id).where(
            Officer.agency_id == county.id, Officer.cert_no.is_not(None), Officer.cert_no != "",
            Officer.active.is_(True))))
        teams = max(1, min(4, n_off // 2))
        if n_off < 2:
            bar.advance(len(quarters))
            continue
        for start, end in quarters:
            plan = service.create_plan(session, ctx.actor, agency_id=county.id,
                                       name=f"{start.year}年第{(start.month - 1) // 3 + 1}季度双随机抽查",
                                       period_start=start, period_end=end, teams=teams)
            seed = f"{start.isoformat()} 公开摇号 {rng.randrange(10_000, 99_999)}"
            service.draw(session, ctx.actor, plan.id, seed)
            # the drawn tasks as rows with what a record needs of the firm (not as Task objects:
            # their status is set with the records, in _write)
            tasks = session.execute(
                select(Task.id, Task.enterprise_id, Task.officer_ids, Enterprise.industry_code, Enterprise.credit_class,
                       Enterprise.address).join(Enterprise, Task.enterprise_id == Enterprise.id)
                .where(Task.plan_id == plan.id).order_by(Task.id)).all()
            current = end >= ctx.today
            for t in tasks:
                done_share = 0.55 if current else 0.985
                if rng.random() > done_share:
                    continue
                span = max(1, ((min(end, ctx.today - timedelta(days=1)) if current else end) - start).days)
                day = start + timedelta(days=rng.randrange(span))
                checked = datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)), TZ)
                late = rng.random() < 0.02
                submitted_at = checked + timedelta(hours=rng.uniform(30, 96) if late else rng.uniform(0.2, 6))
                submitted.append(_record(session, t, checked, submitted_at, rng, officer_names))
                done.append(t.id)
            bar.advance()
        for k in range(rng.randrange(1, 4)):               # targeted checks: complaints, leads
            submitted.extend(_targeted(session, ctx, county, rng, officer_names, k))
    _write(session, ctx, submitted, done)


def _write(session, ctx, submitted: list[tuple[dict, int]], done: list[int]) -> None:
    """The submitted records in creation order with multi-row INSERTs (and the drawn tasks they
    complete marked submitted), then the referrals of those with a violation and one audit entry
    each."""
    session.flush()
    conn = session.connection()
    conn.execute(Record.__table__.insert(), [row for row, _ in submitted])      # one executemany
    conn.execute(update(Task.__table__).where(Task.__table__.c.id == bindparam("task")).values(status="submitted"),
                 [{"task": i} for i in done])
    by_task = dict(session.execute(select(Record.task_id, Record.id)).all())
    ids = [by_task[row["task_id"]] for row, _ in submitted]
    referrals = [{"record_id": rid, "enterprise_id": ent_id, "status": "pending", "created_at": row["submitted_at"]}
                 for (row, ent_id), rid in zip(submitted, ids, strict=True) if row["violation"]]
    if referrals:
        conn.execute(CaseReferral.__table__.insert(), referrals)
    audit.record_many(session, ctx.actor, "inspection.record.submit",
                      [("inspection_record", rid, {"record_hash": row["record_hash"], "violation": row["violation"]})
                       for (row, _), rid in zip(submitted, ids, strict=True)], note="演示数据")
    session.flush()


def _record(session, t, checked: datetime, submitted_at: datetime, rng, names) -> tuple[dict, int]:
    """A submitted record of task ``t`` (a row to insert, with its hash) and the enterprise; ``t``
    has the task's id, enterprise_id and officer_ids and the firm's industry_code, credit_class
    and address. The caller marks the task submitted."""
    items = service.checklist_for(t.industry_code).items
    risk = {"red": 0.25, "yellow": 0.12}.get(t.credit_class, 0.05)
    violation = rng.random() < risk
    checklist = {i.code: "ok" for i in items}
    findings = "现场检查未发现环境违法问题。"
    if violation:
        bad = rng.choice(items)
        checklist[bad.code] = "problem"
        findings = f"{bad.text}存在问题：{rng.choice(['台账记录不完整', '设施未正常运行', '危险废物贮存不规范', '超标排放'])}。"
    sigs = [{"role": "officer", "name": names.get(o, str(o)), "at": submitted_at.isoformat()} for o in t.officer_ids]
    sigs.append({"role": "enterprise", "name": _name(rng), "at": submitted_at.isoformat()})
    row = {"task_id": t.id, "checklist": checklist, "findings": findings, "violation": violation,
           "location": t.address, "checked_at": checked, "signatures": sigs, "status": "submitted",
           "submitted_at": submitted_at, "submitted_by": "demo", "gps_lat": None, "gps_lon": None,
           "gps_accuracy_m": None, "gps_captured_at": None, "saved_at": None}
    row["record_hash"] = service.record_hash(SimpleNamespace(**row), [])
    return row, t.enterprise_id


def _targeted(session, ctx, county, rng, names, k) -> list[tuple[dict, int]]:
    from ..offsite import service as offsite

    ents = session.execute(select(Enterprise.id).where(Enterprise.agency_id == county.id)).scalars().all()
    offs = session.execute(select(Officer.id).where(Officer.agency_id == county.id, Officer.cert_no.is_not(None),
                                                    Officer.cert_no != "", Officer.active.is_(True))).scalars().all()
    if not ents or len(offs) < 2:
        return []
    source = rng.choice(["complaint", "lead", "transfer"])
    day = ctx.today - timedelta(days=rng.randrange(10, ctx.span_days - 20))
    enterprise_id, ref, lead_id = rng.choice(ents), f"{service.SOURCES[source]} {day.strftime('%Y%m%d')}-{k + 1:03d}", None
    if source == "lead":
        # the check of a confirmed off-site lead of this county raised before the check's day
        pool = [x for x in ctx.shared.get("lead_pool", {}).get(county.id, []) if x[2] < day]
        if not pool:
            return []
        lead_id, enterprise_id, _ = pool[-1]
        ctx.shared["lead_pool"][county.id].remove(pool[-1])
        ref = f"线索 {lead_id}（{offsite.DETECTOR_NAMES[offsite.lead_detector(session, lead_id)]}）"
    t = Task(agency_id=county.id, enterprise_id=enterprise_id, source=source, source_ref=ref,
             officer_ids=rng.sample(list(offs), 2), due_date=day + timedelta(days=7), status="open",
             created_at=datetime.combine(day, time(9), TZ))
    session.add(t)
    session.flush()
    if lead_id is not None:                      # as task_from_lead records it on the lead
        offsite.act(session, ctx.actor, lead_id, "request_inspection", task_id=t.id)
    checked = datetime.combine(day + timedelta(days=1), time(10), TZ)
    e = t.enterprise
    done = _record(session, SimpleNamespace(id=t.id, enterprise_id=t.enterprise_id, officer_ids=t.officer_ids,
                                            industry_code=e.industry_code, credit_class=e.credit_class,
                                            address=e.address), checked, checked + timedelta(hours=2), rng, names)
    t.status = "submitted"
    if lead_id is not None and not done[0]["violation"]:
        offsite.act(session, ctx.actor, lead_id, "close", reason="现场核查未发现环境违法问题，办结")
    return [done]
