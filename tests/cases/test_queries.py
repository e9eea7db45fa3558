from datetime import date

from greensword.cases import queries
from tests.evaluation.test_review_and_ranking import _closed_cases


def test_closed_between_refs_and_county_sums(db, world, flow):
    closed = _closed_cases(db, world, "330102", 2)           # closed 2026-03-20 and 2026-03-23
    assert [c.closed_on for c in closed] == [date(2026, 3, 20), date(2026, 3, 23)]
    still_open = flow.open(discovered=date(2026, 3, 21))     # a look-alike: same county, never closed
    a = world.agencies["330102"].id
    assert queries.closed_between(db, date(2026, 3, 20), date(2026, 3, 22)) == [(closed[0].id, a)]
    assert queries.closed_between(db, date(2026, 3, 21), date(2026, 3, 23)) == [(closed[1].id, a)]
    assert queries.closed_between(db, date(2026, 3, 24), date(2026, 12, 31)) == []
    refs = queries.refs(db, [still_open.id, closed[0].id, 999999])
    assert set(refs) == {still_open.id, closed[0].id} and refs[still_open.id].number == still_open.number
    officers = closed[0].officer_ids
    assert queries.decided_by_officer(db, date(2026, 1, 1), date(2026, 12, 31)) == {i: 2 for i in officers}
    assert queries.decided_by_officer(db, date(2026, 3, 18), date(2026, 3, 18)) == {}
    closed[1].tags = ["清水蓝天"]
    db.flush()
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert queries.county_sums(db, *year)[a]["cases_filed"] == 2
    assert queries.county_sums(db, *year, tag="清水蓝天")[a]["cases_filed"] == 1
    assert queries.county_sums(db, *year, violation_code="AIR-100-3")[a]["decisions"] == 2
    assert a not in queries.county_sums(db, *year, violation_code="AIR-99-2")
    fines = queries.county_sums(db, *year)[a]["fines_yuan"]
    assert fines == sum(c.fine for c in closed) > 0


def test_penalties_by_firm_is_penalties_of_each_firm(db, world, flow):
    """The sweep's one query per 500 firms gives each firm what ``penalties(enterprise_id=…)``
    gives it: the same decisions (measures and study-points offsets included), oldest first."""
    from datetime import timedelta

    from greensword.cases import service
    from greensword.cases.models import Measure
    from greensword.core.timeutil import now

    closed = _closed_cases(db, world, "330102", 2)
    officer = flow.officer
    small = world.enterprises["330102-small"]
    pair = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    for k, fine in enumerate((1000, 0, 2000)):
        service.summary_decision(db, officer, enterprise_id=small.id, facts="危险废物未分类贮存", basis="固体废物法",
                                 fine=fine, on=date(2026, 5, 10) - timedelta(days=10 * k), place="厂区",
                                 officer_ids=pair)
    db.add(Measure(case_id=closed[0].id, kind="seizure", started_on=closed[0].decided_on, extended=False, data={},
                   created_at=now()))
    db.flush()
    firms = [e.id for e in world.enterprises.values()]
    got = queries.penalties_by_firm(db, [*firms, *firms, 999999])
    want = {i: ps for i in firms if (ps := queries.penalties(db, enterprise_id=i))}
    assert got == want and small.id in got and closed[0].enterprise_id in got
    assert [p.decided_on for p in got[small.id]] == sorted(p.decided_on for p in got[small.id])
    assert len(got[small.id]) == 3 and got[closed[0].enterprise_id][0].measures == ("seizure",)
