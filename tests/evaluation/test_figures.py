"""The figures on /statistics and the dashboard: 同比 against the same dates last year, 环比
against the adjacent earlier period, bounded rates with their numerator and denominator, and no
growth rate against a base too small to mean anything."""

from datetime import date, timedelta

from greensword.cases import service as cases
from greensword.evaluation import statistics
from greensword.evaluation.statistics import Figures, Filters
from tests.conftest import login_as
from tests.factories import actor


def _filed(db, world, days: list[date], source: str = "inspection") -> None:
    who = {r: actor(db, world, f"{r}-330102") for r in ("officer", "leader")}
    ent = world.enterprises["330102-small"]
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    for i, d in enumerate(days):
        c = cases.open_case(db, who["officer"], enterprise_id=ent.id, title=f"案件{d}{i}", facts="违法事实",
                            source=source, discovered_on=d - timedelta(days=1), officer_ids=offs)
        cases.act(db, who["leader"], c.id, "file", on=d, documents_on=False)
    db.flush()


def test_previous_period_steps_back_by_calendar_months_or_days():
    assert Filters(date(2026, 3, 1), date(2026, 3, 31)).previous_period() == Filters(date(2026, 2, 1),
                                                                                     date(2026, 2, 28))
    assert Filters(date(2026, 1, 1), date(2026, 3, 31)).previous_period() == Filters(date(2025, 10, 1),
                                                                                     date(2025, 12, 31))
    assert Filters(date(2026, 3, 10), date(2026, 3, 19)).previous_period() == Filters(date(2026, 2, 28),
                                                                                      date(2026, 3, 9))
    assert Filters(date(2024, 2, 29), date(2024, 2, 29)).same_period_last_year() == Filters(date(2023, 2, 28),
                                                                                            date(2023, 2, 28))


def test_yoy_is_the_same_month_last_year_and_chain_the_month_before(db, world):
    _filed(db, world, [date(2026, 3, 2)] * 12 + [date(2026, 2, 3)] * 6 + [date(2026, 1, 30)] * 3
           + [date(2025, 3, 5)] * 8)
    county = world.agencies["330102"]
    rep = statistics.report(db, county, Filters(date(2026, 3, 1), date(2026, 3, 31)))["unit"]
    assert rep["cases_filed"] == 12 and rep["last_year"]["cases_filed"] == 8
    assert rep["yoy"]["cases_filed"] == 0.5            # 12 vs 8 (March 2025)
    assert rep["chain"]["cases_filed"] == 1.0          # 12 vs 6 (February 2026 only, not 30 January)
    # a whole year: the period before is last year, so 环比 is not repeated — it says why
    year = statistics.report(db, county, Filters(date(2026, 1, 1), date(2026, 12, 31)))["unit"]
    assert year["yoy"]["cases_filed"] == round((21 - 8) / 8, 4)
    assert year["chain"]["cases_filed"] is None and "同比" in year["chain_note"]["cases_filed"]


def test_no_growth_rate_against_a_tiny_base(db, world):
    _filed(db, world, [date(2026, 5, 4)] * 9 + [date(2025, 5, 6)] * 4)
    county = world.agencies["330102"]
    rep = statistics.report(db, county, Filters(date(2026, 5, 1), date(2026, 5, 31)))["unit"]
    assert rep["last_year"]["cases_filed"] == 4
    assert rep["yoy"]["cases_filed"] is None and "小于 5" in rep["yoy_note"]["cases_filed"]
    assert statistics.min_growth_base(2026) == 5
    # one more case last May is a base of 5: the rate is given
    _filed(db, world, [date(2025, 5, 7)])
    rep = statistics.report(db, county, Filters(date(2026, 5, 1), date(2026, 5, 31)))["unit"]
    assert rep["yoy"]["cases_filed"] == 0.8


def test_rates_never_exceed_100_percent_and_carry_their_fraction():
    f = Figures(1, "县局", "330102", "county")
    f.values.update(lead_cases=18, leads_converted=9, leads=8.5, cases_filed=40, routine_done=3, routine_planned=4)
    assert f.rate("lead_conversion") == 1.0 and f.fraction("lead_conversion") == (8.5, 8.5)
    assert f.rate("offsite_share") == 0.45 and f.fraction("offsite_share") == (18, 40)
    assert f.rate("plan_completion") == 0.75
    f.values["leads"] = 0
    assert f.rate("lead_conversion") is None
    # a rate's change is in points, and not given when a denominator is under the base
    g = Figures(1, "县局", "330102", "county")
    g.values.update(routine_done=2, routine_planned=4)
    v, why = statistics.compare(f, g, "plan_completion", 5)
    assert v is None and "小于 5" in why
    assert statistics.compare(f, g, "plan_completion", 3) == (0.25, "")


def test_statistics_page_shows_fractions_definitions_and_reasons(client, db, world):
    _filed(db, world, [date(2026, 3, 2)] * 7 + [date(2025, 3, 3)] * 2, source="lead")
    db.commit()
    login_as(client, "leader-330000")
    county = world.agencies["330102"]
    r = client.get(f"/statistics?agency_id={county.id}&start=2026-03-01&end=2026-03-31")
    assert r.status_code == 200
    row = r.text.split('id="row-offsite_share"')[1].split("</tr>")[0]
    assert "100.0%" in row and "（7/7）" in row
    row = r.text.split('id="row-cases_filed"')[1].split("</tr>")[0]
    assert "对比期基数 2 小于 5，增长率无意义" in row and "250.0%" not in row
    assert "线索立案转化率：统计期内产生的非现场线索中已立案的线索数" in r.text


def test_dashboard_kpis_show_yoy_where_last_year_has_data(client, db, world):
    from greensword.dashboard import service as dashboard

    _filed(db, world, [date(2026, 3, 2)] * 6 + [date(2025, 3, 3)] * 5 + [date(2025, 12, 1)] * 4)
    leader = actor(db, world, "leader-330000")
    rep = dashboard.overview(db, leader, today=date(2026, 6, 30))["rep"]
    assert rep["yoy"]["cases_filed"] == 0.2           # 6 vs 5 to 30 June; December is not the same period
    assert rep["yoy"]["decisions"] is None and rep["yoy_note"]["decisions"]
    db.commit()
    login_as(client, "leader-330000")
    kpis = client.get("/dashboard").text.split('id="kpis"')[1].split("</section>")[0]
    assert 'title="对比期为 0，无增长率"' in kpis or "↑" in kpis or "↓" in kpis
    assert " 元</div>" in kpis or " 万元</div>" in kpis          # money in 元/万元
