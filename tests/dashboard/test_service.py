from datetime import date

from greensword.dashboard import service
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor


def test_overview_months_come_from_the_statistics(db, world):
    y = date.today().year
    _closed_cases(db, world, "330102", 2, year=y)          # discovered in March, filed the next day
    _closed_cases(db, world, "330203", 1, year=y - 1)      # last year, another city
    leader = actor(db, world, "leader-330000")
    o = service.overview(db, leader, today=date(y, 12, 31))
    assert o["unit"].level == "province" and o["year"] == y
    assert o["months"]["filed"][2] == 2 and sum(o["months"]["filed"]) == 2
    assert o["months"]["filed_last"][2] == 1 and sum(o["months"]["filed_last"]) == 1
    decided = o["months"]["decided"]
    assert sum(decided) == 2 and sum(o["months"]["fines"]) > 0
    assert o["rep"]["cases_filed"] == 2
    # a county leader sees the county's figures only
    hz = service.overview(db, actor(db, world, "leader-330102"), today=date(y, 12, 31))
    assert hz["unit"].division_code == "330102" and sum(hz["months"]["filed_last"]) == 0


def test_figures_are_kept_until_the_next_write(db, world, monkeypatch):
    """The dashboard's block is computed once per data head and viewer: shown again it is a copy of
    it; after an audited write it is computed afresh; another unit's leader gets his own."""
    from greensword.evaluation import statistics

    y = date.today().year
    _closed_cases(db, world, "330102", 1, year=y)
    db.commit()
    calls = []
    real = statistics.report
    monkeypatch.setattr(statistics, "report", lambda *a, **kw: calls.append(a[1].division_code) or real(*a, **kw))
    leader = actor(db, world, "leader-330000")
    first = service.overview(db, leader, today=date(y, 12, 31))
    db.commit()
    first["months"]["filed"][2] = 99                         # a caller's change stays its own
    again = service.overview(db, leader, today=date(y, 12, 31))
    db.commit()
    assert calls == ["330000"] and again["months"]["filed"][2] == 1
    assert again["rep"]["chain"]["cases_filed"] is None    # no 环比 on the dashboard: not computed
    _closed_cases(db, world, "330102", 1, year=y)
    db.commit()
    after = service.overview(db, leader, today=date(y, 12, 31))
    db.commit()
    assert calls == ["330000", "330000"] and sum(after["months"]["filed"]) == 2
    county = service.overview(db, actor(db, world, "leader-330102"), today=date(y, 12, 31))
    assert calls[-1] == "330102" and county["unit"].division_code == "330102"


def test_a_slow_dashboard_is_served_stale_while_it_is_recomputed(db, world, monkeypatch):
    """When computing the block took long (a loaded server: GREENSWORD_CACHE_STALE_AFTER_S, here 0),
    the first view after a write gets the previous block, marked with when it was computed, and
    the worker's background thread computes the new one for the next view."""
    import threading

    from greensword.core import cache
    from greensword.evaluation import statistics
    from greensword.settings import get_settings

    monkeypatch.setenv("GREENSWORD_CACHE_STALE_AFTER_S", "0")
    get_settings.cache_clear()
    y = date.today().year
    _closed_cases(db, world, "330102", 1, year=y)
    db.commit()
    computed_in = []
    real = statistics.report
    monkeypatch.setattr(statistics, "report",
                        lambda *a, **kw: computed_in.append(threading.current_thread().name) or real(*a, **kw))
    leader = actor(db, world, "leader-330000")
    assert sum(service.overview(db, leader, today=date(y, 12, 31))["months"]["filed"]) == 1
    assert cache.stale_since(db) is None and computed_in == [threading.current_thread().name]
    db.commit()
    _closed_cases(db, world, "330102", 1, year=y)
    db.commit()
    stale = service.overview(db, leader, today=date(y, 12, 31))
    assert sum(stale["months"]["filed"]) == 1 and cache.stale_since(db) is not None
    db.commit()
    assert cache.wait_refreshed(60)
    # the view itself computed nothing: the whole block was recomputed by the background thread
    assert computed_in[1:] == ["cache-refresh"], computed_in
    fresh = service.overview(db, leader, today=date(y, 12, 31))
    assert sum(fresh["months"]["filed"]) == 2 and cache.stale_since(db) is None
