"""Demo stage: officers' certificates (some about to expire), a year of courses with attendance,
a provincial exam taken by officers (a few answering after time-out), the trainer and talent
pools, a provincial skills competition with every round (theory from the exam, judged sheets by
judges of other units, an off-site screening round on generated labelled data with contestants'
marks) and equipment with use logs (drone flights linked to inspection tasks). Everything goes
through the training services, deterministic from ctx.rng("training")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..core.auth import Actor
from ..core.errors import DomainError
from ..core.timeutil import TZ
from ..registry.models import Agency, Officer
from . import bank, competitions, courses, equipment, exams, quals

TOPICS = [("新《行政处罚法》与《生态环境行政处罚办法》解读", "法律法规", 12), ("现场执法检查要点与证据收集", "现场执法", 16),
          ("案卷制作与笔录规范", "案卷制作", 8), ("非现场监管与自动监测数据分析", "非现场监管", 12),
          ("废水、废气采样与快速检测", "采样监测", 8), ("无人机巡查实操", "无人机", 16),
          ("危险废物规范化环境管理", "综合", 8), ("执法大练兵比武集训", "综合", 24)]
DRONES = ["DJI M30T", "DJI M300 RTK", "DJI Mavic 3E"]


def _officer_actor(o: Officer) -> Actor:
    return Actor(username=f"demo-officer-{o.id}", roles=frozenset({"officer"}), agency_id=o.agency_id,
                 agency_path=o.agency.path, officer_id=o.id, display_name=o.name)


def generate(session, ctx) -> None:
    rng = ctx.rng("training")
    today, actor = ctx.today, ctx.actor
    year = today.year
    province = session.execute(select(Agency).where(Agency.level == "province")).scalars().first()
    if province is None:
        return
    counties = list(session.execute(select(Agency).where(Agency.level == "county").order_by(Agency.division_code))
                    .scalars())
    officers = list(session.execute(select(Officer).where(Officer.active.is_(True), Officer.department == "生态环境")
                                    .order_by(Officer.id)).scalars())
    certified = [o for o in officers if o.cert_no]
    bar = ctx.task("培训考试", 6)

    # -- qualifications -------------------------------------------------------------------------
    issued_quals = []
    for i, o in enumerate(certified):
        issued = today - timedelta(days=rng.randint(200, 5 * 365 - 100))
        if i % 12 == 5:                     # a few certificates run out within the reminder window
            issued = today - timedelta(days=5 * 365 - rng.randint(10, 80))
        issued_quals.append(dict(officer_id=o.id, kind="enforcement", number=f"ZF{o.cert_no}", issued_on=issued,
                                 issuer="浙江省人民政府"))
        if rng.random() < 0.35 or o.agency.division_code.endswith("84"):      # e.g. 永康: everyone flies
            issued_quals.append(dict(officer_id=o.id, kind="drone", number=f"UAV{year}{i:05d}",
                                     issued_on=today - timedelta(days=rng.randint(30, 2 * 365 - 10)),
                                     issuer="中国民用航空局"))
        if "reviewer" in (o.roles or []) or rng.random() < 0.04:
            issued_quals.append(dict(officer_id=o.id, kind="legal_review",
                                     number=f"A{year - rng.randint(1, 8)}{i:06d}",
                                     issued_on=today - timedelta(days=rng.randint(100, 3000)), issuer="司法部"))
    quals.issue_many(session, actor, issued_quals)
    bar.advance()

    # -- courses --------------------------------------------------------------------------------
    course_rows = []
    for m in range(1, 13):
        start = date(year - 1 if m > today.month else year, m, rng.randint(3, 24))
        title, topic, hours = TOPICS[m % len(TOPICS)]
        host = province if m % 3 else rng.choice(counties) if counties else province
        level = "province" if host is province else "county"
        c = courses.create_course(session, actor, agency_id=host.id, title=f"{start.year}年{title}", level=level,
                                  start_on=start, end_on=start + timedelta(days=max(0, int(hours // 8) - 1)),
                                  hours=hours, topic=topic)
        pool = [o for o in certified if o.agency.path.startswith(host.path)]
        for o in rng.sample(pool, min(len(pool), 45)):
            courses.record_attendance(session, actor, c.id, o.id, hours=hours if rng.random() > 0.1 else hours / 2)
        course_rows.append(c)
    bar.advance()

    # -- the provincial exam ---------------------------------------------------------------------
    exam = exams.create_exam(session, actor, agency_id=province.id, title=f"{year}年全省生态环境执法人员法律知识考试",
                             level="province", opens_on=today - timedelta(days=60), closes_on=today + timedelta(days=30),
                             seed=f"demo-{ctx.seed}")
    takers = rng.sample(certified, min(len(certified), 80))
    t0 = datetime.combine(today - timedelta(days=40), time(9, 0), tzinfo=TZ)
    for k, o in enumerate(takers):
        oa = _officer_actor(o)
        start = t0 + timedelta(minutes=k)
        a = exams.start(session, oa, exam.id, at=start)
        skill = rng.uniform(0.55, 0.97)
        ans = {}
        for qid in a.question_ids:
            q = bank.question(qid)
            ans[qid] = q.answer if rng.random() < skill else next(x for x, _ in q.options if x != q.answer)
        late_cut = len(ans) if rng.random() > 0.1 else int(len(ans) * 0.8)     # a few run out of time
        ids = list(ans)
        exams.answer(session, oa, a.id, {q: ans[q] for q in ids[:late_cut]}, at=start + timedelta(minutes=40))
        exams.submit(session, oa, a.id, {q: ans[q] for q in ids[late_cut:]},
                     at=start + timedelta(minutes=44 if late_cut == len(ids) else 47))
    bar.advance()

    # -- pools ------------------------------------------------------------------------------------
    for o in takers:
        for pool, level in (("talent", "county"), ("trainer", "county")):
            try:
                courses.admit(session, actor, pool=pool, officer_id=o.id, level=level, on=today,
                              specialty=rng.choice(["法律法规", "现场执法", "非现场监管", "无人机"]))
            except DomainError:
                pass
    bar.advance()

    # -- competition --------------------------------------------------------------------------
    comp = competitions.create(session, actor, agency_id=province.id, title=f"{year}年全省生态环境执法技能比武",
                               level="province", held_on=today - timedelta(days=20))
    rounds = competitions.rounds_of(session, comp.id)
    teams = [c for c in counties if any(o.agency_id == c.id for o in takers)][:4]
    contestants = []
    for c in teams:
        for o in [o for o in takers if o.agency_id == c.id][:3]:
            contestants.append((competitions.add_contestant(session, actor, comp.id, o.id), o))
    entered = {o.id for _, o in contestants}
    judge_pool = [o for o in certified if o.id not in entered and o.agency_id not in {c.id for c in teams}]
    judges = [competitions.add_judge(session, actor, comp.id, o.id) for o in judge_pool[:4]]
    for r in rounds:
        if r.kind == "theory":
            competitions.link_exam(session, actor, r.id, exam.id)
        elif r.kind == "offsite":
            competitions.prepare_offsite(session, actor, r.id, seed=ctx.seed + 17, start=today - timedelta(days=30),
                                         points=6, days=3)
            labels = r.dataset["labels"]
            for _ct, o in contestants:
                marks = []
                for x in labels:
                    if rng.random() < 0.75:
                        s = datetime.fromisoformat(x["start"]) + timedelta(minutes=rng.randint(0, 30))
                        marks.append({"mn": x["mn"], "start": s.isoformat(), "end": (s + timedelta(hours=1)).isoformat()})
                if rng.random() < 0.5:
                    s = datetime.fromisoformat(labels[0]["start"]) - timedelta(hours=20)
                    marks.append({"mn": rng.choice(r.dataset["mns"]), "start": s.isoformat(),
                                  "end": (s + timedelta(hours=1)).isoformat()})
                competitions.submit_marks(session, _officer_actor(o), r.id, marks)
        else:
            for ct, _o in contestants:
                base = rng.uniform(0.6, 0.95)
                for j in judges:
                    if j.agency_id == ct.agency_id:
                        continue
                    items = {it["code"]: round(min(it["max"], it["max"] * (base + rng.uniform(-0.05, 0.05))) * 2) / 2
                             for it in r.sheet}
                    competitions.score_sheet(session, actor, r.id, ct.id, items, judge_id=j.id)
    try:
        competitions.publish(session, actor, comp.id)
    except DomainError:
        pass
    bar.advance()

    # -- equipment --------------------------------------------------------------------------------
    from ..inspection import service as inspection

    tasks = inspection.my_tasks(session, actor, status="submitted", limit=5000)
    by_county: dict[int, list] = {}
    for t in tasks:
        by_county.setdefault(t.agency_id, []).append(t)
    licensed = quals.holders(session, [o.id for o in certified], "drone", today)
    for c in counties:                  # a county's equipment registered together, then the flights
        items, flights = [], []
        for kind, count in (("drone", 2), ("recorder", 6), ("detector", 2), ("vehicle", 2)):
            for k in range(count):
                items.append(dict(agency_id=c.id, kind=kind,
                                  model=rng.choice(DRONES) if kind == "drone" else {"recorder": "执法记录仪 DSJ-V9",
                                                                                     "detector": "PID 便携式VOCs检测仪",
                                                                                     "vehicle": "执法执勤车"}[kind],
                                  serial=f"{c.division_code}-{kind[:3].upper()}-{k + 1:02d}",
                                  acquired_on=today - timedelta(days=rng.randint(100, 1500))))
                if kind != "drone":
                    continue
                pilots = [o for o in certified if o.agency_id == c.id and o.id in licensed]
                for t in (by_county.get(c.id) or [])[k::2][:6]:
                    if not pilots:
                        break
                    day = t.due_date - timedelta(days=rng.randint(1, 20))
                    s = datetime.combine(day, time(rng.randint(8, 15), 0), tzinfo=TZ)
                    flights.append((len(items) - 1, dict(officer_id=rng.choice(pilots).id, started_at=s,
                                                         ended_at=s + timedelta(minutes=rng.randint(20, 50)),
                                                         purpose=f"无人机巡查：{t.enterprise.name}",
                                                         inspection_task_id=t.id)))
        added = equipment.add_many(session, actor, items)
        for i, flight in flights:
            try:
                equipment.log_use(session, actor, added[i].id, **flight)
            except DomainError:
                pass
    bar.advance()
