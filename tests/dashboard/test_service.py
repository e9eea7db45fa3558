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
