"""The demo province's directories: agencies, officers, enterprises, monitoring points, users.

Everything goes through the registry's import path (the same validation, upsert and audit as a
CSV upload), so the demo exercises what officials use. Deterministic from the seed.
"""

from datetime import timedelta
from importlib import resources

import yaml
from faker import Faker

from ..core import auth
from ..core.validators import uscc_with_check
from ..registry import io as registry_io
from ..registry import service as registry
from .context import DemoContext

PASSWORD = "greensword-demo"
ROLES = ("admin", "leader", "officer", "reviewer", "evaluator")
CREDIT = (("green", 0.14), ("blue", 0.74), ("yellow", 0.10), ("red", 0.02))
POSITIVE_SHARE = 0.18  # seed 004: 3,724 positive-list enterprises in a province


def _data() -> dict:
    return yaml.safe_load((resources.files("greensword.demo") / "zhejiang.yaml").read_text(encoding="utf-8"))


def org_code(seq: int) -> str:
    """9-character organisation code with its GB 11714-1997 check character."""
    body = f"{seq:08d}"
    c = 11 - sum(int(d) * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + ("X" if c == 10 else "0" if c == 11 else str(c))


def _pick(rng, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def generate_registry(session, ctx: DemoContext) -> None:
    data, size, actor = _data(), ctx.size, ctx.actor
    rng = ctx.rng("registry")
    fake = Faker("zh_CN")
    fake.seed_instance(ctx.seed)

    # Agencies: ministry → province → cities → counties.
    cities = data["cities"][: size["cities"]]
    rows = [{"division_code": "100000", "name": "生态环境部", "level": "ministry", "parent_code": None},
            {"division_code": data["province"]["code"], "name": data["province"]["name"], "level": "province",
             "parent_code": "100000"}]
    counties = []
    for city in cities:
        rows.append({"division_code": city["code"], "name": f"{city['name']}生态环境局", "level": "city",
                     "parent_code": data["province"]["code"]})
        items = list(city["counties"].items())
        if ctx.scale == "small":
            items = items[: size["counties_per_city"]]
        for code, cname in items:
            rows.append({"division_code": code, "name": f"{city['name']}生态环境局{cname.rstrip('区县市')}分局",
                         "level": "county", "parent_code": city["code"]})
            counties.append((code, cname, city))
    task = ctx.task("机构", 1)
    registry_io.import_rows(session, actor, "agencies", list(enumerate(rows, start=2)))
    task.advance()

    # Officers: a provincial team, city teams, the rest spread over counties by a weight.
    n_off = size["officers"]
    agencies_for_officers = ([data["province"]["code"]] * max(4, n_off // 25)
                             + [c["code"] for c in cities for _ in range(max(3, n_off // 50))])
    while len(agencies_for_officers) < n_off:
        agencies_for_officers.append(rng.choice(counties)[0])
    officer_rows = []
    for i, code in enumerate(agencies_for_officers[:n_off]):
        roll = rng.random()
        roles = ["officer"] + (["leader"] if roll < 0.08 else ["reviewer"] if roll < 0.16 else [])
        officer_rows.append({"name": fake.name(), "agency_code": code,
                             "cert_no": None if rng.random() < 0.04 else f"{code}{rng.randint(15, 25):02d}{i:05d}",
                             "roles": roles, "department": "生态环境", "active": rng.random() > 0.02})
    for city in cities:  # other departments' officers, for cross-department joint plans
        for dept in data["other_departments"]:
            for k in range(2):
                officer_rows.append({"name": fake.name(), "agency_code": city["code"],
                                     "cert_no": f"{city['code']}{dept}{k:03d}", "roles": ["officer"],
                                     "department": dept, "active": True})
    task = ctx.task("执法人员", 1)
    registry_io.import_rows(session, actor, "officers", list(enumerate(officer_rows, start=2)))
    task.advance()

    # Enterprises.
    industries = data["industries"]
    brands = data["brand_chars"]
    n_ent = size["enterprises"]
    task = ctx.task("企业", n_ent)
    ent_rows, names = [], set()
    key_profiles = []
    for i in range(n_ent):
        code, cname, city = counties[int(rng.random() ** 1.3 * len(counties))]
        ind = rng.choices(industries, weights=[x["weight"] for x in industries])[0]
        is_key = rng.random() < ind["key"]
        while True:
            name = (f"{city['name'].rstrip('市')}{rng.choice(brands)}{rng.choice(brands)}"
                    f"{ind['word']}{rng.choice(['有限公司', '股份有限公司', '科技有限公司'])}")
            if name not in names:
                names.add(name)
                break
        credit = _pick(rng, CREDIT)
        uscc = uscc_with_check("91" + code + org_code(10_000_000 + i * 7 + rng.randint(0, 6)))
        has_permit = is_key or rng.random() < 0.35
        ent_rows.append({
            "uscc": uscc, "name": name,
            "address": f"浙江省{city['name']}{cname}{fake.street_name()}{rng.randint(1, 999)}号",
            "agency_code": code, "industry_code": ind["code"], "key_polluter": ind["category"] if is_key else "",
            "permit_no": f"{uscc}{rng.randint(1, 3):03d}P" if has_permit else None,
            "permit_valid_until": (ctx.today + timedelta(days=rng.randint(-60, 5 * 365))) if has_permit else None,
            "credit_class": credit,
            "positive_list": (not is_key or rng.random() < 0.3) and credit in ("green", "blue")
            and rng.random() < POSITIVE_SHARE * 1.25,
        })
        if is_key:
            key_profiles.append((uscc, ind, code))
        task.advance()
    registry_io.import_rows(session, actor, "enterprises", list(enumerate(ent_rows, start=2)))

    # Monitoring points for key polluters (gas/water by their industry profile, power for some).
    profiles = registry.standards().profiles
    point_rows, n_points = [], 0
    rng.shuffle(key_profiles)
    for uscc, ind, code in key_profiles:
        if n_points >= size["points"]:
            break
        wanted = [p for p in (ind.get("profile"), ind.get("water")) if p]
        if rng.random() < 0.3:
            wanted.append("power_monitoring")
        for pname in wanted:
            if n_points >= size["points"]:
                break
            prof = profiles[pname]
            n_points += 1
            letter = {"gas": "G", "water": "W", "power": "P", "noise": "N"}[prof.kind]
            mn = f"{code}{letter}{n_points:017d}"
            title = {"gas": "废气排放口", "water": "废水总排口", "power": "用电监控点"}[prof.kind]
            for f in prof.factors:
                limited = f.limit_value is not None or f.limit_min is not None
                point_rows.append({
                    "mn": mn, "enterprise_uscc": uscc, "name": f"{title}{n_points % 3 + 1}", "kind": prof.kind,
                    "ref_o2_pct": prof.ref_o2_pct, "factor_code": f.factor_code, "unit": f.unit,
                    "limit_value": f.limit_value, "limit_min": f.limit_min, "corrected": f.corrected,
                    "standard": prof.standard if limited else "",
                })
    task = ctx.task("监测点", 1)
    if point_rows:
        registry_io.import_rows(session, actor, "points", list(enumerate(point_rows, start=2)))
    task.advance()

    # Users: every role at the province and at each city and county; enterprise users for key
    # polluters. One argon2 hash is shared: hashing thousands of demo passwords would take minutes.
    pw_hash = auth.hash_password(PASSWORD)
    agencies = {a.division_code: a for a in registry.list_agencies(session, actor)}
    officers_by_agency: dict[int, list] = {}
    _all_officers(session, actor, officers_by_agency)
    task = ctx.task("用户", len(agencies) - 1)
    users = []
    for code, a in agencies.items():
        if a.level == "ministry":
            continue
        for role in ROLES:
            username = role if a.level == "province" else f"{role}-{code}"
            officer = None
            if role in ("officer", "leader", "reviewer"):
                pool = [o for o in officers_by_agency.get(a.id, []) if o.cert_no and o.department == "生态环境"]
                officer = pool[ROLES.index(role) % len(pool)] if pool else None
            users.append(dict(username=username, password="", roles=[role],
                              display_name=f"{officer.name if officer else a.name}（{auth.ROLES[role]}）",
                              agency_id=a.id, officer_id=officer.id if officer else None, password_hash=pw_hash))
        task.advance()
    auth.create_users(session, actor, users)
    # Every enterprise gets its administrator account ent-<USCC> (it can add colleagues).
    from sqlalchemy import select

    from ..registry.models import Enterprise

    task = ctx.task("企业账号", 1)
    ents = [tuple(r) for r in session.execute(select(Enterprise.id, Enterprise.uscc, Enterprise.name))]
    auth.create_enterprise_accounts(session, actor, ents, password_hash=pw_hash)
    task.advance()
    session.flush()


def _all_officers(session, actor, by_agency: dict[int, list]) -> None:
    from ..core.pagination import PageParams

    by_agency.clear()
    page = 1
    while True:
        p = registry.list_officers(session, actor, page=PageParams(page=page, size=500))
        for o in p.items:
            by_agency.setdefault(o.agency_id, []).append(o)
        if page >= p.pages:
            return
        page += 1
