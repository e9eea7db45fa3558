"""The national data set's builder at a tiny fraction: the tree (the Ministry over 31 provinces,
municipalities' districts directly under them), valid credit codes, two years of cases moved
through the procedure, figures that roll up, and the ranking and statistics pages for the
ministry leader."""

from datetime import date

from sqlalchemy import func, select
from stdnum.cn import uscc as stdnum_uscc

from greensword.cases.models import Case, CaseEvent
from greensword.demo import national
from greensword.evaluation import statistics
from greensword.registry.models import Agency, Enterprise
from tests.conftest import csrf_client, login_as

TODAY = date(2026, 11, 20)


def _build(db, fraction=0.002):
    rows = national.build(db, seed=7, today=TODAY, fraction=fraction)
    db.commit()
    return rows


def test_structure_codes_and_two_years(db):
    rows = _build(db)
    levels = dict(db.execute(select(Agency.level, func.count()).group_by(Agency.level)).all())
    assert levels["ministry"] == 1 and levels["province"] == 31
    assert levels["city"] >= 27 and levels["county"] >= 31
    ministry = db.execute(select(Agency).where(Agency.level == "ministry")).scalar_one()
    provinces = db.execute(select(Agency).where(Agency.level == "province")).scalars().all()
    assert {p.parent_id for p in provinces} == {ministry.id}
    assert {p.division_code for p in provinces} >= {"110000", "330000", "650000"}
    codes = db.execute(select(Agency.division_code, Agency.path, Agency.level)).all()
    assert len({c for c, _, _ in codes}) == len(codes)
    by_id = {a.id: a for a in db.execute(select(Agency)).scalars()}
    for a in by_id.values():           # a unit's code starts with its province's two digits
        if a.level in ("city", "county"):
            prov = by_id[int(a.path.strip("/").split("/")[1])]
            assert prov.level == "province" and a.division_code[:2] == prov.division_code[:2]
            assert len(a.division_code) == 6 and a.division_code.isdigit()
    # Beijing's districts sit directly under the municipality
    bj = next(p for p in provinces if p.division_code == "110000")
    assert {by_id[i].level for i in by_id if by_id[i].parent_id == bj.id} == {"county"}

    usccs = db.execute(select(Enterprise.uscc)).scalars().all()
    assert len(usccs) == rows["enterprise"] == 600
    assert all(stdnum_uscc.is_valid(u) for u in usccs)

    per_year = dict(db.execute(select(func.strftime("%Y", Case.filed_on), func.count()).where(
        Case.filed_on.is_not(None)).group_by(func.strftime("%Y", Case.filed_on))).all())
    assert per_year.get("2025", 0) > 150 and per_year.get("2026", 0) > 150
    decided = db.execute(select(func.count()).select_from(Case).where(Case.decided_on.is_not(None))).scalar_one()
    steps = db.execute(select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "decide")).scalar_one()
    assert decided and steps <= decided            # every decision has its step (some are 不予处罚)

    f = statistics.Filters(date(2026, 1, 1), TODAY)
    figs = statistics.compute(db, f)
    assert figs[ministry.id].values["cases_filed"] == sum(figs[p.id].values["cases_filed"] for p in provinces) > 0
    rep = statistics.report(db, ministry, f)
    assert rep["unit"]["yoy"]["cases_filed"] is not None          # 同比 against real data
    assert len(rep["children"]) == 31


def test_pages_for_the_ministry_leader(db, app):
    _build(db)
    with csrf_client(app) as client:
        login_as(client, "leader", national.PASSWORD)
        for url in ("/evaluation", "/evaluation?level=province", "/statistics", "/dashboard"):
            r = client.get(url)
            assert r.status_code == 200, (url, r.text[:300])
        ranking = client.get("/api/v1/evaluation/ranking?level=province&year=2026").json()["items"]
        assert len(ranking) == 31 and ranking[0]["rank"] == 1
        login_as(client, "leader-330000", national.PASSWORD)      # a province leader sees its own cities only
        cities = client.get("/api/v1/evaluation/ranking?level=city&year=2026&page_size=500").json()["items"]
        assert cities and all(c["name"] for c in cities)
        zj = db.execute(select(Agency).where(Agency.division_code == "330000")).scalar_one()
        mine = {a.id for a in db.execute(select(Agency).where(Agency.path.startswith(zj.path))).scalars()}
        assert {c["agency_id"] for c in cities} <= mine
