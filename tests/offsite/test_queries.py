from datetime import timedelta

from greensword.core.timeutil import now
from greensword.offsite import queries
from greensword.offsite.models import Lead


def _lead(db, world, county, created, status="new", rank=1.0):
    ent = world.enterprises[f"{county}-key"]
    x = Lead(mn=f"MN{county}{rank}", enterprise_id=ent.id, agency_id=ent.agency_id, factor="a21026",
             detector="exceedance", start=created, end=created, score=1.0, rank_score=rank, status=status,
             evidence={}, due_at=created + timedelta(hours=4), created_at=created, updated_at=created)
    db.add(x)
    db.flush()
    return x


def test_leads_by_agency_and_open_leads(db, world):
    t = now().replace(hour=12, minute=0, second=0, microsecond=0)
    today = t.date()
    a = _lead(db, world, "330102", t, rank=0.5)
    b = _lead(db, world, "330102", t - timedelta(days=1), status="screened", rank=0.9)
    _lead(db, world, "330102", t, status="closed", rank=0.99)           # closed: not open
    _lead(db, world, "330203", t, rank=0.7)                                # another county
    hz = world.agencies["330102"].id
    assert queries.leads_by_agency(db, today, today)[hz] == 2             # created today, any status
    assert queries.leads_by_agency(db, today - timedelta(days=1), today)[hz] == 3
    assert queries.leads_by_agency(db, today + timedelta(days=1), today + timedelta(days=2)) == {}
    assert [x.id for x in queries.open_leads(db, world.agencies["330102"].path)] == [b.id, a.id]
    province = queries.open_leads(db, world.agencies["330000"].path, limit=2)
    assert [x.rank_score for x in province] == [0.9, 0.7]
