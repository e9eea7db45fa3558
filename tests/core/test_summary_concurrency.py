"""Two writers of the same kept summary row (core.summary) at once on PostgreSQL: neither waits
for the other's summary row, so the audit chain's head — locked at each one's commit — cannot
close a cycle of waits (a deadlock PostgreSQL breaks by failing one of them).

The interleaving forced here: writer 1 flushes a change of a case (its triggers write the kept
month figures) before recording its audit entry; writer 2 then commits a change of another case of
the same county and month (its commit's flush locks the head, then writes the case); writer 1
commits (and so waits for the head)."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import text

from greensword.cases import queries as cases_queries
from greensword.cases.models import Case
from greensword.core import audit, summary
from greensword.core.db import session_factory
from greensword.core.timeutil import now

pytestmark = pytest.mark.db


def _waiting_on_lock(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                 "AND datname = current_database()")).scalar_one()


def test_two_writers_of_one_county_month_do_not_deadlock(world, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer at a time)")
    db = session_factory(engine)()
    county, firm = world.agencies["330102"], world.enterprises["330102-key"]
    pair = [Case(number=f"TEST-{i}", agency_id=county.id, enterprise_id=firm.id, title="测试", source="inspection",
                 stage="investigating", created_at=now(), discovered_on=date(2026, 3, 1), filed_on=date(2026, 3, 2 + i))
            for i in range(2)]
    db.add_all(pair)
    db.commit()
    ids = tuple(c.id for c in pair)
    db.close()

    s1, s2 = session_factory(engine)(), session_factory(engine)()
    errors: list[BaseException] = []
    c1 = s1.get(Case, ids[0])
    c1.source = "lead" if c1.source != "lead" else "inspection"
    s1.flush()                                   # writer 1's triggers have written the month's row

    def writer2():
        try:
            c2 = s2.get(Case, ids[1])
            c2.source = "lead" if c2.source != "lead" else "inspection"
            audit.record(s2, "tester-2", "case.edit", "case", c2.id, {"source": c2.source})
            s2.commit()
        except BaseException as exc:             # noqa: BLE001 - reported below
            errors.append(exc)
            s2.rollback()

    t = threading.Thread(target=writer2)
    t.start()
    deadline = time.monotonic() + 5
    while t.is_alive() and _waiting_on_lock(engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)                         # writer 2 either finished or waits for a lock now
    try:
        audit.record(s1, "tester-1", "case.edit", "case", c1.id, {"source": c1.source})
        s1.commit()
    except BaseException as exc:                 # noqa: BLE001
        errors.append(exc)
        s1.rollback()
    t.join(30)
    s1.close()
    s2.close()
    assert not errors, errors

    # both writes are in the month's figures, read with the deltas and after folding them
    check = session_factory(engine)()
    try:
        march = (date(2026, 3, 1), date(2026, 3, 31))
        for round_ in range(2):
            kept = cases_queries.county_sums(check, *march)[county.id]
            direct = cases_queries.county_sums(check, *march, use_summary=False)[county.id]
            assert (kept["cases_filed"], kept["lead_cases"]) == (direct["cases_filed"], direct["lead_cases"]) == (2, 2)
            folded = summary.fold_all(check)             # the world's and the two writers' deltas, then none
            assert folded > 0 if round_ == 0 else folded == 0
            check.commit()
        assert check.execute(text("SELECT count(*) FROM penalty_case_month_delta")).scalar_one() == 0
    finally:
        check.close()
