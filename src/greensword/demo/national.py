"""The national-scale data set: the Ministry (生态环境部) over 31 provinces, ≈333 prefecture-level
units and ≈2,800 counties, ≈45,000 officers, ≈300,000 enterprises and ≈100,000 penalty cases a
year over two years (last year complete, this year up to ``today``, so 同比 compares real data), with
the inspections, off-site leads, portal warnings and self-checks, case-file reviews and evaluators'
entries that the statistics page, the leader dashboard and the evaluation ranking read.

Built for size, not through the services: rows go in with SQLAlchemy Core (executemany, the
dialect's insertmanyvalues on PostgreSQL) with ids assigned here, a whole table at a time, and one
audit entry records the import (the aggregates cache keys to the audit chain head, core.cache).
The province demo (``greensword demo --scale province``) is the one that exercises every service
path; this one exists to measure pages at national volume. It reuses the province demo's choices:
the industry mix and key-polluter shares (zhejiang.yaml), credit classes, the positive-list share,
the violation types and fine ranges of the discretion rules, the special actions, the procedure's
spacing of steps (cases/demo.py) and the shared demo password.

Division codes follow GB/T 2260's shape (PPCCXX; the four municipalities' districts directly under
the province, as in reality); province names and codes are real, city and county names synthetic.
USCCs carry the GB 32100-2015 check character (python-stdnum). Deterministic from the seed.
``fraction`` scales every volume (enterprises, officers, cases, inspections, …); below 0.1 the
tree is thinned too (at least one city and one county per province).
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ..core import summary as summary_tables
from ..core.timeutil import TZ
from ..core.validators import uscc_with_check
from .province import CREDIT, PASSWORD, POSITIVE_SHARE, _data, org_code

__all__ = ["FULL", "PASSWORD", "PROVINCES", "build", "summary"]

#: 31 provinces: code, name, prefecture-level units, county-level units (2023 counts, rounded;
#: a municipality has its districts directly under it).
PROVINCES = [
    ("110000", "北京市", 0, 16), ("120000", "天津市", 0, 16), ("130000", "河北省", 11, 167),
    ("140000", "山西省", 11, 117), ("150000", "内蒙古自治区", 12, 103), ("210000", "辽宁省", 14, 100),
    ("220000", "吉林省", 9, 60), ("230000", "黑龙江省", 13, 121), ("310000", "上海市", 0, 16),
    ("320000", "江苏省", 13, 95), ("330000", "浙江省", 11, 90), ("340000", "安徽省", 16, 104),
    ("350000", "福建省", 9, 84), ("360000", "江西省", 11, 100), ("370000", "山东省", 16, 136),
    ("410000", "河南省", 17, 157), ("420000", "湖北省", 13, 103), ("430000", "湖南省", 14, 122),
    ("440000", "广东省", 21, 122), ("450000", "广西壮族自治区", 14, 111), ("460000", "海南省", 4, 25),
    ("500000", "重庆市", 0, 38), ("510000", "四川省", 21, 183), ("520000", "贵州省", 9, 88),
    ("530000", "云南省", 16, 129), ("540000", "西藏自治区", 7, 74), ("610000", "陕西省", 10, 107),
    ("620000", "甘肃省", 14, 86), ("630000", "青海省", 8, 44), ("640000", "宁夏回族自治区", 5, 22),
    ("650000", "新疆维吾尔自治区", 14, 107),
]
#: volumes at fraction 1
FULL = {"enterprises": 300_000, "officers": 45_000, "cases_per_year": 100_000, "routine_per_year": 120_000,
        "other_tasks_per_year": 30_000, "leads_per_year": 30_000, "warnings_per_year": 20_000,
        "selfchecks_per_year": 60_000, "review_files_per_county": 6}
ROLES = ("admin", "leader", "officer", "reviewer", "evaluator")
NAME_CHARS = "安宁平阳和兴城江河山川东南西北新华泰丰清远长乐永嘉德昌明光明德宜春临海云峰松林金石"
CHUNK = 20_000
#: case sources and their shares (inspection referrals most, then leads, complaints, transfers)
CASE_SOURCES = (("inspection", 0.60), ("lead", 0.20), ("complaint", 0.12), ("transfer", 0.03), ("manual", 0.05))


class Builder:
    def __init__(self, session: Session, *, seed: int, today: date, fraction: float,
                 progress: Callable[[str, int], None] | None = None):
        if not 0 < fraction <= 1:
            from ..core.errors import ValidationFailed

            raise ValidationFailed("--fraction 应在 0 与 1 之间（1 为全国规模）", code="demo.fraction")
        self.s, self.seed, self.today, self.f = session, seed, today, fraction
        self.progress = progress or (lambda stage, n: None)
        self.counts: dict[str, int] = {}
        self.dialect = session.get_bind().dialect.name
        self.now = datetime.combine(today, dtime(18), TZ)

    # --- helpers ---------------------------------------------------------------------------
    def rng(self, stage: str) -> random.Random:
        return random.Random(f"{self.seed}:national:{stage}")

    def n(self, key: str) -> int:
        return max(1, round(FULL[key] * self.f))

    def insert(self, model, rows: Iterable[dict]) -> int:
        """Insert rows in chunks (one executemany per chunk)."""
        table = model.__table__
        conn = self.s.connection()
        buf, total = [], 0
        for r in rows:
            buf.append(r)
            if len(buf) >= CHUNK:
                conn.execute(insert(table), buf)
                total += len(buf)
                buf = []
        if buf:
            conn.execute(insert(table), buf)
            total += len(buf)
        self.counts[table.name] = self.counts.get(table.name, 0) + total
        self.progress(table.name, total)
        return total

    def at(self, day: date, hour: float = 9.0) -> datetime:
        return datetime.combine(day, dtime(0), TZ) + timedelta(hours=hour)

    # --- stages ----------------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        self.agencies()
        self.officers()
        self.enterprises()
        self.users()
        self.inspections()
        self.leads()
        self.cases()
        self.portal()
        self.reviews()
        self.entries()
        self.finish()
        summary_tables.fold_all(self.s)      # the triggers' deltas into the kept rows
        return self.counts

    def agencies(self) -> None:
        rng = self.rng("agencies")
        thin = min(1.0, self.f * 10)
        t = self.now
        rows = [{"id": 1, "division_code": "100000", "name": "生态环境部", "level": "ministry", "parent_id": None,
                 "path": "/1/", "updated_at": t}]
        self.provinces, self.cities, self.counties = [], [], []     # (id, code, name, path)
        self.parent: dict[int, int] = {}
        nid = 2

        def add(code, name, level, parent):
            nonlocal nid
            aid, path = nid, f"{parent[3]}{nid}/"
            nid += 1
            rows.append({"id": aid, "division_code": code, "name": name, "level": level, "parent_id": parent[0],
                         "path": path, "updated_at": t})
            self.parent[aid] = parent[0]
            return (aid, code, name, path)

        ministry = (1, "100000", "生态环境部", "/1/")
        for pcode, pname, n_cities, n_counties in PROVINCES:
            short = pname.removesuffix("省").removesuffix("市")
            title = f"{pname}生态环境局" if pname.endswith("市") else f"{pname}生态环境厅"
            prov = add(pcode, title, "province", ministry)
            self.provinces.append(prov)
            if n_cities == 0:        # a municipality: districts directly under it
                k = max(1, round(n_counties * thin))
                for j in range(k):
                    dname = f"{rng.choice(NAME_CHARS)}{rng.choice(NAME_CHARS)}区"
                    self.counties.append(add(f"{pcode[:2]}01{j + 1:02d}", f"{short}市生态环境局{dname[:-1]}分局",
                                             "county", prov))
                continue
            nc = max(1, round(n_cities * thin))
            per_city = [n_counties // n_cities + (1 if i < n_counties % n_cities else 0) for i in range(n_cities)]
            for i in range(nc):
                cname = f"{rng.choice(NAME_CHARS)}{rng.choice(NAME_CHARS)}市"
                city = add(f"{pcode[:2]}{i + 1:02d}00", f"{cname}生态环境局", "city", prov)
                self.cities.append(city)
                for j in range(max(1, round(per_city[i] * thin))):
                    dname = f"{rng.choice(NAME_CHARS)}{rng.choice(NAME_CHARS)}{rng.choice('县区市')}"
                    self.counties.append(add(f"{pcode[:2]}{i + 1:02d}{j + 1:02d}",
                                             f"{cname}生态环境局{dname[:-1]}分局", "county", city))
        from ..registry.models import Agency

        self.insert(Agency, rows)
        self.province_of = {}
        for c in self.counties + self.cities:
            self.province_of[c[0]] = int(c[3].strip("/").split("/")[1])

    def officers(self) -> None:
        from faker import Faker

        from ..registry.models import Officer

        rng = self.rng("officers")
        fake = Faker("zh_CN")
        fake.seed_instance(self.seed)
        names = [fake.name() for _ in range(3000)]
        total = self.n("officers")
        # provincial and city teams, the rest by county (weights fixed here, reused by enterprises)
        self.weight = {c[0]: rng.lognormvariate(0, 0.6) for c in self.counties}
        wsum = sum(self.weight.values())
        plan: list[tuple[tuple, int]] = [(p, max(2, total // 400)) for p in self.provinces]
        plan += [(c, max(2, total // 700)) for c in self.cities]
        left = max(len(self.counties) * 3, total - sum(n for _, n in plan))
        plan += [(c, max(3, round(left * self.weight[c[0]] / wsum))) for c in self.counties]
        self.certified: dict[int, list[int]] = defaultdict(list)
        rows, oid = [], 0
        for agency, k in plan:
            for _ in range(k):
                oid += 1
                roll = rng.random()
                roles = ["officer"] + (["leader"] if roll < 0.08 else ["reviewer"] if roll < 0.16 else [])
                cert = None if rng.random() < 0.04 else f"{agency[1]}{rng.randint(15, 25):02d}{oid:06d}"
                active = rng.random() > 0.02
                if cert and active:
                    self.certified[agency[0]].append(oid)
                rows.append({"id": oid, "name": rng.choice(names), "agency_id": agency[0], "cert_no": cert,
                             "roles": roles, "department": "生态环境", "active": active, "updated_at": self.now})
        self.insert(Officer, rows)

    def enterprises(self) -> None:
        from ..registry.models import Enterprise

        rng = self.rng("enterprises")
        data = _data()
        industries, brands = data["industries"], data["brand_chars"]
        iw = [x["weight"] for x in industries]
        counties = self.counties
        cw = [self.weight[c[0]] for c in counties]
        n = self.n("enterprises")
        picks = rng.choices(range(len(counties)), weights=cw, k=n)
        self.ents_of: dict[int, list[int]] = defaultdict(list)        # county id → enterprise ids
        self.key_ents_of: dict[int, list[int]] = defaultdict(list)
        self.population: dict[int, list[int]] = defaultdict(list)     # not on the positive list
        self.ent_county: list[int] = [0]                              # enterprise id → county id
        self.uscc: list[str] = [""]

        def rows():
            for i in range(n):
                eid = i + 1
                cid, code, cname, _ = counties[picks[i]]
                ind = rng.choices(industries, weights=iw)[0]
                is_key = rng.random() < ind["key"]
                credit = CREDIT[min(3, sum(rng.random() > x for x in (0.14, 0.88, 0.98)))][0]
                uscc = uscc_with_check("91" + code + org_code(10_000_000 + i * 7 + rng.randint(0, 6)))
                has_permit = is_key or rng.random() < 0.35
                positive = ((not is_key or rng.random() < 0.3) and credit in ("green", "blue")
                            and rng.random() < POSITIVE_SHARE * 1.25)
                place = cname.split("生态环境局")[0]
                self.ents_of[cid].append(eid)
                if is_key:
                    self.key_ents_of[cid].append(eid)
                if not positive:
                    self.population[cid].append(eid)
                self.ent_county.append(cid)
                self.uscc.append(uscc)
                yield {"id": eid, "uscc": uscc,
                       "name": f"{place.removesuffix('市')}{rng.choice(brands)}{rng.choice(brands)}{ind['word']}"
                               f"{rng.choice(['有限公司', '股份有限公司', '科技有限公司'])}",
                       "address": f"{place}{rng.choice(NAME_CHARS)}{rng.choice(NAME_CHARS)}路{rng.randint(1, 999)}号",
                       "agency_id": cid, "industry_code": ind["code"],
                       "key_polluter": ind["category"] if is_key else "",
                       "permit_no": f"{uscc}{rng.randint(1, 3):03d}P" if has_permit else None,
                       "permit_valid_until": (self.today + timedelta(days=rng.randint(-60, 5 * 365)))
                       if has_permit else None,
                       "credit_class": credit, "positive_list": positive, "updated_at": self.now}

        self.insert(Enterprise, rows())
        self.n_ents = n

    def users(self) -> None:
        from ..core import auth
        from ..core.models import User

        pw = auth.hash_password(PASSWORD)
        rows, uid = [], 0
        t = self.now
        for agency in [(1, "100000", "生态环境部", "/1/"), *self.provinces, *self.cities, *self.counties]:
            level = "ministry" if agency[0] == 1 else None
            for role in ROLES:
                if level == "ministry" and role == "officer":
                    continue
                uid += 1
                pool = self.certified.get(agency[0], [])
                officer = pool[ROLES.index(role) % len(pool)] if pool and role in ("officer", "leader",
                                                                                   "reviewer") else None
                rows.append({"id": uid, "username": role if level else f"{role}-{agency[1]}",
                             "display_name": f"{agency[2]}（{auth.ROLES[role]}）", "password_hash": pw,
                             "roles": [role], "agency_id": agency[0], "enterprise_id": None, "officer_id": officer,
                             "active": True, "created_at": t})
        self.insert(User, rows)

        def ent_rows():
            nonlocal uid
            for eid in range(1, self.n_ents + 1):
                uid += 1
                yield {"id": uid, "username": f"ent-{self.uscc[eid]}", "display_name": f"企业管理员 {self.uscc[eid]}",
                       "password_hash": pw, "roles": ["enterprise", "enterprise_admin"], "agency_id": None,
                       "enterprise_id": eid, "officer_id": None, "active": True, "created_at": t}

        self.insert(User, ent_rows())

    def _team(self, rng: random.Random, county_id: int) -> list[int]:
        pool = self.certified.get(county_id) or self.certified.get(self.parent.get(county_id, 0)) or []
        return rng.sample(pool, 2) if len(pool) >= 2 else list(pool)

    def _years(self) -> list[tuple[date, date]]:
        y = self.today.year
        return [(date(y - 1, 1, 1), date(y - 1, 12, 31)), (date(y, 1, 1), self.today)]

    def inspections(self) -> None:
        """Routine (双随机) plans and tasks per county and year, tasks from leads and complaints,
        and the on-site records of the tasks done (most uploaded within the rule's hours)."""
        from ..inspection.models import Plan, Record, Task
        from ..inspection.service import sampling

        rng = self.rng("inspections")
        hours = sampling(self.today).upload_on_time_hours
        total_pop = sum(len(v) for v in self.population.values()) or 1
        plans, tasks, records = [], [], []
        pid = tid = 0
        self.referral_records: dict[int, list[tuple[int, date]]] = defaultdict(list)   # county → (record, day)
        self.task_of_lead: dict[int, int] = {}
        for start, end in self._years():
            span = (end - start).days + 1
            year_full = date(start.year, 12, 31)
            share = span / ((year_full - start).days + 1)
            for cid, _code, _cname, _ in self.counties:
                pop = self.population.get(cid) or self.ents_of.get(cid) or []
                if not pop:
                    continue
                pid += 1
                plans.append({"id": pid, "agency_id": cid, "name": f"{start.year}年度双随机抽查计划",
                              "period_start": date(start.year, 1, 1), "period_end": year_full, "mode": "random",
                              "params": {"ratio": 0.05}, "status": "drawn", "seed": f"{self.seed}-{pid}",
                              "result": {"items": []}, "drawn_at": self.at(date(start.year, 1, 5)),
                              "drawn_by": "demo", "created_at": self.at(date(start.year, 1, 4))})
                k = max(1, round(self.n("routine_per_year") * len(pop) / total_pop))
                for eid in rng.sample(pop, min(k, len(pop))):
                    due = date(start.year, 1, 1) + timedelta(days=rng.randrange(0, 365))
                    tid += 1
                    created = self.at(date(start.year, 1, 5))
                    done = due <= end and rng.random() < 0.93 or due <= end - timedelta(days=30)
                    tasks.append({"id": tid, "plan_id": pid, "agency_id": cid, "enterprise_id": eid,
                                  "source": "routine", "source_ref": f"计划 {pid}", "stratum": "general",
                                  "officer_ids": self._team(rng, cid), "due_date": due,
                                  "status": "submitted" if done and due <= self.today else "open",
                                  "created_at": created})
                    if done and due <= self.today:
                        records.append(self._record(rng, tid, cid, due, hours))
                # tasks from leads and complaints, in proportion to the county's firms
                k2 = round(self.n("other_tasks_per_year") * share * len(self.ents_of.get(cid, [])) / self.n_ents)
                for _ in range(k2):
                    day = start + timedelta(days=rng.randrange(0, span))
                    tid += 1
                    eid = rng.choice(self.key_ents_of.get(cid) or self.ents_of[cid])
                    due = day + timedelta(days=15)
                    src = "lead" if rng.random() < 0.6 else "complaint"
                    done = due <= self.today or rng.random() < 0.5
                    tasks.append({"id": tid, "plan_id": None, "agency_id": cid, "enterprise_id": eid, "source": src,
                                  "source_ref": "非现场线索核查" if src == "lead" else "信访投诉核查", "stratum": "",
                                  "officer_ids": self._team(rng, cid), "due_date": due,
                                  "status": "submitted" if done else "open", "created_at": self.at(day)})
                    if done:
                        records.append(self._record(rng, tid, cid, min(self.today, day + timedelta(
                            days=rng.randint(1, 14))), hours))
        self.insert(Plan, plans)
        self.insert(Task, tasks)
        self.insert(Record, records)

    def _record(self, rng, tid: int, cid: int, day: date, hours: int) -> dict:
        checked = self.at(day, rng.uniform(8.5, 17))
        roll = rng.random()
        if roll < 0.01:                      # exactly at the limit (still on time)
            submitted = checked + timedelta(hours=hours)
        elif roll < 0.02:                    # a moment too late
            submitted = checked + timedelta(hours=hours, seconds=rng.uniform(0.001, 0.9))
        elif roll < 0.14:
            submitted = checked + timedelta(hours=rng.uniform(hours + 1, hours * 3))
        else:
            submitted = checked + timedelta(hours=rng.uniform(0.2, hours))
        violation = rng.random() < 0.18
        rid = tid
        if violation:
            self.referral_records[cid].append((rid, day))
        return {"id": rid, "task_id": tid, "checklist": {"permit": "ok", "facility": "problem" if violation else "ok"},
                "findings": "发现污染防治设施未正常运行" if violation else "未发现违法行为", "violation": violation,
                "location": "企业厂区", "checked_at": checked, "saved_at": submitted, "status": "submitted",
                "submitted_at": submitted, "submitted_by": "demo",
                "record_hash": hashlib.sha256(f"{self.seed}:{rid}".encode()).hexdigest()}

    def leads(self) -> None:
        """Off-site leads (自动监测数据异常) per county over both years; most screened and closed."""
        from ..offsite.models import Lead

        rng = self.rng("leads")
        rows, lid = [], 0
        self.leads_of: dict[int, list[tuple[int, date]]] = defaultdict(list)
        factors = ("a34013", "a21026", "a21002", "w01018", "w21003")
        for start, end in self._years():
            span = (end - start).days + 1
            k = round(self.n("leads_per_year") * span / 365)
            for _ in range(k):
                cid = self._weighted_county(rng)
                pool = self.key_ents_of.get(cid) or self.ents_of.get(cid)
                if not pool:
                    continue
                lid += 1
                day = start + timedelta(days=rng.randrange(0, span))
                created = self.at(day, rng.uniform(0, 23))
                age = (self.today - day).days
                status = "closed" if age > 20 or rng.random() < 0.5 else rng.choice(("new", "screened", "reminded"))
                verdict = None if status == "new" else ("confirmed" if rng.random() < 0.45 else "dismissed")
                score = round(rng.uniform(0.3, 1.0), 3)
                eid = rng.choice(pool)
                rows.append({"id": lid, "mn": f"{self.uscc[eid][2:8]}G{eid:017d}", "enterprise_id": eid,
                             "agency_id": cid, "factor": rng.choice(factors), "detector": "exceedance",
                             "start": created - timedelta(hours=6), "end": created, "score": score,
                             "rank_score": score, "status": status, "verdict": verdict,
                             "evidence": {"summary": "小时均值连续超标"}, "due_at": created + timedelta(days=3),
                             "created_at": created, "updated_at": created + timedelta(days=1)})
                if verdict == "confirmed":
                    self.leads_of[cid].append((lid, day))
        self.insert(Lead, rows)

    def _weighted_county(self, rng) -> int:
        if not hasattr(self, "_cum"):
            import itertools

            self._cum = list(itertools.accumulate(self.weight[c[0]] for c in self.counties))
        import bisect

        return self.counties[bisect.bisect(self._cum, rng.random() * self._cum[-1])][0]

    def cases(self) -> None:
        """≈100,000 cases a year, spread over counties by their firms, moved through the procedure
        as far as their age allows with the province demo's spacing of steps (cases/demo.py)."""
        from ..cases.discretion import rules
        from ..cases.models import Case, CaseEvent, Measure
        from ..cases.service import SPECIAL_ACTIONS

        rng = self.rng("cases")
        violations = rules().violations
        counter: dict[int, int] = defaultdict(int)
        code_of = {c[0]: c[1] for c in self.counties}
        start_all = self._years()[0][0]
        span = (self.today - start_all).days + 1
        n = round(self.n("cases_per_year") * span / 365)
        cases, events, measures = [], [], []
        ev_id = m_id = 0
        leads = {cid: list(v) for cid, v in self.leads_of.items()}
        referrals = {cid: list(v) for cid, v in self.referral_records.items()}
        days = sorted(start_all + timedelta(days=rng.randrange(0, span)) for _ in range(n))
        who = {"file": "demo-leader", "decide": "demo-leader", "decide_non_penalty": "demo-leader",
               "close": "demo-leader", "withdraw": "demo-leader", "approve_review": "demo-reviewer",
               "legal_review": "demo-legal", "discuss": "demo-leader"}
        for i, discovered in enumerate(days):
            cid_ = i + 1
            cid = self._weighted_county(rng)
            pool = self.ents_of.get(cid)
            if not pool:
                continue
            source = rng.choices([s for s, _ in CASE_SOURCES], weights=[w for _, w in CASE_SOURCES])[0]
            lead_id = record_id = None
            if source == "lead" and leads.get(cid):
                lead_id, _ = leads[cid].pop()
            if source == "inspection" and referrals.get(cid):
                record_id, _ = referrals[cid].pop()
            v = rng.choice(violations)
            lo, hi = v.range
            fine = int(round((lo + (hi - lo) * rng.uniform(0.05, 0.7)) / 1000) * 1000)
            major = fine >= 500_000
            counter[cid] += 1
            age = (self.today - discovered).days
            tags = [rng.choice(SPECIAL_ACTIONS)] if rng.random() < 0.25 else []
            if age >= 90:
                tags.append("历史导入")
            c = {"id": cid_, "number": f"{code_of[cid]}环罚〔{discovered.year}〕{counter[cid]}号", "agency_id": cid,
                 "enterprise_id": rng.choice(pool), "title": v.name[:60], "source": source,
                 "source_ref": f"{discovered:%Y%m%d}", "record_id": record_id, "lead_id": lead_id,
                 "violation_code": v.code, "facts": f"经查，当事人存在{v.name}的行为。", "stage": "clue",
                 "outcome": None, "officer_ids": self._team(rng, cid), "tags": tags, "major": major,
                 "discretion": {"violation": {"code": v.code, "name": v.name}, "fine": fine},
                 "fine_proposed": None, "fine": None, "offset_yuan": 0, "paid_yuan": 0,
                 "discovered_on": discovered, "filed_on": None, "notified_on": None, "decided_on": None,
                 "served_on": None, "closed_on": None, "archived_on": None, "paid_on": None, "published_on": None,
                 "created_at": self.at(discovered)}
            stage = ["clue"]

            def step(action, offset, to=None, _c=c, _stage=stage, _d=discovered):
                nonlocal ev_id
                on = _d + timedelta(days=offset)
                if on > self.today:
                    return False
                ev_id += 1
                events.append({"id": ev_id, "case_id": _c["id"], "action": action, "on": on,
                               "by": who.get(action, "demo-officer"), "from_stage": _stage[0],
                               "to_stage": to or _stage[0], "data": {}, "at": self.at(on, 10)})
                if to:
                    _stage[0] = to
                    _c["stage"] = to
                return on

            def measure(kind, offset, _c=c, _d=discovered):
                nonlocal m_id
                m_id += 1
                measures.append({"id": m_id, "case_id": _c["id"], "kind": kind,
                                 "started_on": _d + timedelta(days=offset),
                                 "ends_on": _d + timedelta(days=offset + 30), "data": {},
                                 "created_at": self.at(_d + timedelta(days=offset))})

            cases.append(c)
            on = step("file", 2, "filed")
            if not on:
                continue
            c["filed_on"] = on
            if rng.random() < 0.03:
                on = step("withdraw", 6, "closed")
                if on:
                    c["closed_on"], c["outcome"] = on, "withdrawn"
                continue
            if not step("investigate", 3, "investigating"):
                continue
            if rng.random() < 0.06 and discovered + timedelta(days=3) <= self.today:
                measure(rng.choice(["seizure", "seizure", "restriction", "suspension"]), 3)
            c["fine_proposed"] = fine
            if major and rng.random() < 0.1 and discovered + timedelta(days=5) <= self.today:
                measure(rng.choice(["criminal_transfer", "detention_transfer"]), 5)
            if not (step("submit_review", 15, "reviewing") and step("approve_review", 18, "reviewed")):
                continue
            on = step("notify", 20, "notified")
            if not on:
                continue
            c["notified_on"] = on
            offset = 27
            if major:
                if not step("legal_review", offset, "legal_reviewed") or not step("discuss", offset + 1, "discussed"):
                    continue
                offset += 2
            non_penalty = rng.random() < 0.07
            on = step("decide_non_penalty" if non_penalty else "decide", offset, "decided")
            if not on:
                continue
            c["decided_on"] = on
            if non_penalty:
                c["outcome"] = "non_penalty"
            else:
                c["outcome"], c["fine"] = "penalty", fine
                if rng.random() < 0.1:
                    c["offset_yuan"] = min(fine // 10, rng.choice([5_000, 10_000, 20_000]))
                if v.daily_penalty and rng.random() < 0.02:
                    measure("daily_penalty", offset + 5)
            on = step("serve", offset + 2, "served")
            if not on:
                continue
            c["served_on"] = on
            if c["outcome"] == "penalty" and rng.random() < 0.005:     # revoked on reconsideration
                c["outcome"] = "revoked"
                continue
            if c["outcome"] == "penalty":
                if discovered + timedelta(days=offset + 5) <= self.today and rng.random() < 0.95:
                    c["published_on"] = discovered + timedelta(days=offset + 5)
                if rng.random() < 0.06:
                    continue                                   # unpaid
                on = step("record_payment", offset + 12)
                if not on:
                    continue
                c["paid_on"], c["paid_yuan"] = on, c["fine"] - c["offset_yuan"]
            on = step("close", offset + 14, "closed")
            if not on:
                continue
            c["closed_on"] = on
            on = step("archive", offset + 30, "archived")
            if on:
                c["archived_on"] = on
        self.insert(Case, cases)
        self.insert(Measure, measures)
        self.insert(CaseEvent, events)
        self.closed_cases = defaultdict(list)            # (year, county) → case ids closed that year
        for c in cases:
            if c["closed_on"] and c["outcome"] in ("penalty", "non_penalty"):
                self.closed_cases[(c["closed_on"].year, c["agency_id"])].append(c["id"])

    def portal(self) -> None:
        """Warnings to firms (answered on time, late or escalated) and self-checks submitted."""
        from ..portal.models.selfchecks import SelfCheck
        from ..portal.models.warnings import PortalWarning

        rng = self.rng("portal")
        warnings, checks = [], []
        wid = sid = 0
        seen: set[tuple[int, date]] = set()
        for start, end in self._years():
            span = (end - start).days + 1
            for _ in range(round(self.n("warnings_per_year") * span / 365)):
                cid = self._weighted_county(rng)
                pool = self.key_ents_of.get(cid) or self.ents_of.get(cid)
                if not pool:
                    continue
                wid += 1
                sent = self.at(start + timedelta(days=rng.randrange(0, span)), rng.uniform(8, 18))
                due = sent + timedelta(hours=72)
                roll = rng.random()
                answered = sent + timedelta(hours=rng.uniform(2, 70) if roll < 0.8 else rng.uniform(73, 200))
                if answered > self.now:
                    answered = None
                status = "escalated" if roll > 0.95 else "answered" if answered else "sent"
                warnings.append({"id": wid, "lead_id": wid, "enterprise_id": rng.choice(pool), "agency_id": cid,
                                 "title": "自动监测数据异常预警", "body": "请核实并说明原因", "hours": 72,
                                 "sent_at": sent, "sent_by": "demo", "due_at": due, "status": status,
                                 "answer_kind": "explained" if answered else None,
                                 "answered_at": answered, "answered_by": "demo" if answered else None,
                                 "late": bool(answered and answered > due)})
            for _ in range(round(self.n("selfchecks_per_year") * span / 365)):
                cid = self._weighted_county(rng)
                pool = self.ents_of.get(cid)
                if not pool:
                    continue
                sid += 1
                at = self.at(start + timedelta(days=rng.randrange(0, span)), rng.uniform(8, 18))
                q = (at.month - 1) // 3
                eid = rng.choice(pool)
                if (eid, date(at.year, 3 * q + 1, 1)) in seen:       # one self-check per firm and quarter
                    sid -= 1
                    continue
                seen.add((eid, date(at.year, 3 * q + 1, 1)))
                checks.append({"id": sid, "enterprise_id": eid, "agency_id": cid,
                               "period_start": date(at.year, 3 * q + 1, 1),
                               "period_end": date(at.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1),
                               "checklist_name": "企业环境自查表", "items": {}, "submitted_at": at,
                               "submitted_by": "demo"})
        self.insert(PortalWarning, warnings)
        self.insert(SelfCheck, checks)

    def reviews(self) -> None:
        """A case-file review round per province and year over closed cases, a few files per
        county, scored (final) so the ranking's 案卷评查 indicator has data."""
        from ..review.models import ReviewFile, ReviewRound

        rng = self.rng("reviews")
        rounds, files = [], []
        rid = fid = 0
        per = max(1, FULL["review_files_per_county"])
        by_province: dict[int, list[int]] = defaultdict(list)
        for c in self.counties:
            by_province[self.province_of[c[0]]].append(c[0])
        for year in (self.today.year - 1, self.today.year):
            for prov in self.provinces:
                rid += 1
                h = hashlib.sha256(f"{self.seed}:{year}:{prov[0]}".encode()).hexdigest()
                rounds.append({"id": rid, "agency_id": prov[0], "name": f"{year}年度行政处罚案卷评查",
                               "period_start": date(year, 1, 1), "period_end": date(year, 12, 31),
                               "seed": h[:16], "population_hash": h, "reviewers_hash": h, "result_hash": h,
                               "inputs": {"per_unit": per}, "published_on": None,
                               "created_at": self.at(date(year, 1, 10))})
                for cid in by_province[prov[0]]:
                    closed = self.closed_cases.get((year, cid), [])
                    for case_id in rng.sample(closed, min(per, len(closed))):
                        fid += 1
                        score = round(rng.uniform(72, 99), 1)
                        files.append({"id": fid, "round_id": rid, "case_id": case_id, "unit_id": cid,
                                      "reviewer": f"reviewer-{prov[1]}", "status": "final",
                                      "deductions": {}, "score": score, "final_score": score,
                                      "scored_on": min(self.today, date(year, 12, 20))})
        self.insert(ReviewRound, rounds)
        self.insert(ReviewFile, files)

    def entries(self) -> None:
        """Evaluators' entries (organisation, team, training, special actions, air quality) for
        both years, as evaluation/demo.py enters them."""
        from ..evaluation.models import Entry
        from ..evaluation.rules import scheme

        rng = self.rng("entries")
        rows, eid = [], 0
        for year in (self.today.year - 1, self.today.year):
            sc = scheme(year)
            entered = [i for i in sc.indicators if i.kind == "entered"]
            for u in [*self.provinces, *self.cities, *self.counties]:
                base = rng.uniform(5.5, 9.5) + (0.6 if year == self.today.year else 0)
                for ind in entered:
                    eid += 1
                    rows.append({"id": eid, "year": year, "subject": "agency", "subject_id": u[0],
                                 "indicator": ind.code,
                                 "value": round(min(ind.max_value, max(0, base + rng.uniform(-1.5, 1.5))), 1),
                                 "evidence": f"{year}年{ind.name}佐证材料（演示）", "by": "demo", "at": self.now})
                for adj in sc.adjustments:
                    eid += 1
                    rows.append({"id": eid, "year": year, "subject": "agency", "subject_id": u[0],
                                 "indicator": adj.code,
                                 "value": round(rng.uniform(adj.min / adj.per_point, adj.max / adj.per_point), 1),
                                 "evidence": f"{year}年优良天数比率同比变化（演示）", "by": "demo", "at": self.now})
        self.insert(Entry, rows)

    def finish(self) -> None:
        """PostgreSQL sequences past the ids given here; one audit entry for the import."""
        from ..core import audit
        from ..core.auth import Actor

        if self.dialect == "postgresql":
            conn = self.s.connection()
            for name in self.counts:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
            conn.execute(text("ANALYZE"))
        audit.record(self.s, Actor.system("demo"), "demo.national", "demo", "national",
                     {"seed": self.seed, "today": self.today.isoformat(), "fraction": self.f,
                      "rows": dict(sorted(self.counts.items()))})
        self.s.flush()


def build(session: Session, *, seed: int = 2026, today: date | None = None, fraction: float = 1.0,
          progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Build the national data set into an empty database (rows per table)."""
    from ..core.timeutil import today as today_fn

    return Builder(session, seed=seed, today=today or today_fn(), fraction=fraction, progress=progress).build()


def summary(session: Session) -> dict[str, int]:
    from ..registry.models import Agency

    return {level: n for level, n in session.execute(select(Agency.level, func.count()).group_by(Agency.level))}


