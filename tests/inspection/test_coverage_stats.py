"""Coverage per stratum (/inspection/stats): every non-positive-list firm in its first matching
stratum, inspected when a routine check of it was submitted in the year — the same figures as
matching the firms one by one."""

from datetime import date, datetime

from greensword.core.auth import Actor
from greensword.core.timeutil import TZ
from greensword.inspection.draw import _matches
from greensword.inspection.models import Record, Task
from greensword.inspection.service import rules as inspection_rules
from greensword.inspection.service import stats
from greensword.registry import service as registry
from greensword.registry.models import Enterprise
from greensword.registry.schemas import EnterpriseIn
from tests.factories import SYSTEM, make_uscc


def _expected(db, year: int) -> list[tuple]:
    firms = [{"id": e.id, "key_polluter": e.key_polluter, "credit_class": e.credit_class}
             for e in db.query(Enterprise).filter(Enterprise.positive_list.is_(False))]
    lo, hi = datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)
    seen = {t.enterprise_id for t, r in db.query(Task, Record).join(Record, Record.task_id == Task.id)
            if t.source == "routine" and r.status == "submitted" and lo <= r.checked_at < hi}
    out = []
    for st in inspection_rules.sampling(date(year, 12, 31)).strata:
        members = [f for f in firms if _matches(f, st.match)]
        firms = [f for f in firms if not _matches(f, st.match)]
        out.append((st.code, len(members), sum(1 for f in members if f["id"] in seen)))
    return out


def test_coverage_counts_each_firm_once_in_its_first_stratum(db, world):
    county = world.agencies["330102"]
    kinds = [("air", "blue"), ("", "red"), ("", "yellow"), ("", "green"), ("water", "red"), ("", "green")]
    made = [registry.save_enterprise(db, SYSTEM, EnterpriseIn(
        uscc=make_uscc("330102", 100 + i), name=f"覆盖率测试{i}有限公司", address="浙江省", agency_code="330102",
        industry_code="C2614", key_polluter=kp, credit_class=cc)) for i, (kp, cc) in enumerate(kinds * 3)]
    t0 = datetime(2026, 4, 1, 9, tzinfo=TZ)
    for i, e in enumerate(made):
        if i % 2:
            continue
        source = "routine" if i % 4 == 0 else "complaint"               # targeted checks do not count
        checked = t0 if i % 8 else datetime(2025, 12, 30, tzinfo=TZ)    # last year's check does not count
        task = Task(agency_id=county.id, enterprise_id=e.id, source=source, due_date=date(2026, 4, 30),
                    status="submitted", created_at=t0)
        db.add(task)
        db.flush()
        db.add(Record(task_id=task.id, checklist={}, status="submitted", checked_at=checked, submitted_at=checked))
    db.commit()
    got = stats._coverage_by_stratum(db, Actor.system("t"), year=2026)
    want = _expected(db, 2026)
    assert [(g["code"], g["population"], g["inspected"]) for g in got] == want
    assert sum(g["inspected"] for g in got) > 0 and all(g["population"] for g in got)
