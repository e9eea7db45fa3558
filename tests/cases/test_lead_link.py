"""A case knows the off-site lead (and the complaint) its on-site check came from, so the
lead-to-case rate counts leads that became cases, exactly and never above 100 %."""

from datetime import date, datetime, timedelta

from greensword.cases import service as cases
from greensword.complaint import service as complaints
from greensword.core.timeutil import TZ
from greensword.evaluation import statistics
from greensword.inspection import service as inspection
from greensword.inspection.complaints import task_from_complaint
from greensword.offsite.models import Lead
from tests.factories import actor, signature_png


def _violation(db, officer, task):
    items = {i.code: "ok" for i in inspection.checklist_for(task.enterprise.industry_code).items}
    inspection.save_record(db, officer, task, checklist=items, violation=True, findings="超标排放")
    for role, name in (("officer", "甲"), ("officer", "乙"), ("enterprise", "丙")):
        inspection.sign(db, officer, task, role=role, name=name, png=signature_png())
    inspection.submit(db, officer, task)


def _lead(db, world, created: datetime, status="screened"):
    ent = world.enterprises["330102-key"]
    x = Lead(mn=world.points["330102-gas"].mn, enterprise_id=ent.id, agency_id=ent.agency_id, factor="a21026",
             detector="exceedance", start=created, end=created + timedelta(hours=3), score=1.0, rank_score=1.0,
             status=status, verdict="confirmed", evidence={}, repeats=0, due_at=created + timedelta(days=2),
             created_at=created, updated_at=created, reason="", outcome="")
    db.add(x)
    db.flush()
    return x


def _referral_case(db, officer, task):
    from greensword.inspection import queries

    _violation(db, officer, task)
    ref = [r for r in queries.pending_referrals(db, officer) if r.task_id == task.id][0]
    return cases.open_from_referral(db, officer, ref.id)


def test_case_from_a_leads_check_links_the_lead_and_counts_exactly(db, world):
    officer = actor(db, world, "officer-330102")
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    t = datetime(2026, 3, 5, 9, tzinfo=TZ)
    leads = [_lead(db, world, t + timedelta(days=i)) for i in range(4)]
    task = inspection.task_from_lead(db, officer, leads[1].id, officer_ids=offs)
    c = _referral_case(db, officer, task)
    assert c.lead_id == leads[1].id and c.source == "inspection"
    # a routine check's case has no lead
    plain = inspection.create_targeted_task(db, officer, enterprise_id=world.enterprises["330102-small"].id,
                                            source="transfer", source_ref="移送 1", officer_ids=offs,
                                            due_date=date(2026, 3, 20))
    assert _referral_case(db, officer, plain).lead_id is None
    # ten more cases filed from the same lead (and lead-less ones) do not raise the rate above 1 of 4
    c.filed_on = date(2026, 3, 10)
    for _ in range(3):
        extra = cases.open_case(db, officer, enterprise_id=world.enterprises["330102-key"].id, title="同一线索",
                                facts="", source="lead", discovered_on=date(2026, 3, 9), officer_ids=offs,
                                lead_id=leads[1].id)
        extra.filed_on = date(2026, 3, 11)
    db.flush()
    f = statistics.compute(db, statistics.Filters(date(2026, 3, 1), date(2026, 3, 31)))
    county = f[world.agencies["330102"].id]
    assert county.values["leads"] == 4 and county.values["leads_converted"] == 1
    assert county.rate("lead_conversion") == 0.25 and county.fraction("lead_conversion") == (1, 4)
    # a lead from February converted in March counts in February, not in March
    old = _lead(db, world, datetime(2026, 2, 10, tzinfo=TZ))
    task2 = inspection.task_from_lead(db, officer, old.id, officer_ids=offs)
    _referral_case(db, officer, task2).filed_on = date(2026, 3, 12)
    db.flush()
    march = statistics.compute(db, statistics.Filters(date(2026, 3, 1), date(2026, 3, 31)))[world.agencies["330102"].id]
    feb = statistics.compute(db, statistics.Filters(date(2026, 2, 1), date(2026, 2, 28)))[world.agencies["330102"].id]
    assert march.fraction("lead_conversion") == (1, 4) and feb.fraction("lead_conversion") == (1, 1)
    assert march.values["lead_cases"] == 5           # cases filed in March that came from a lead


def test_case_from_a_complaints_check_is_linked_on_the_complaint(db, world):
    c, case = _complaint_case(db, world, holder="330102", anonymous=False)
    assert c.case_ref == case.number and case.lead_id is None


def test_a_county_officer_opens_the_case_of_a_complaint_the_city_holds(db, world):
    """The city keeps the complaint and sends county officers; the county officer who opens the
    case cannot see the city's complaint, and the link must not refuse the case for that."""
    c, case = _complaint_case(db, world, holder="330100", anonymous=True)
    assert c.case_ref == case.number


def _complaint_case(db, world, *, holder: str, anonymous: bool):
    """A complaint about 330102-key kept by the ``holder`` unit, accepted, checked by two county
    officers of 330102, and the case a county officer opens from the check's referral."""
    leader = actor(db, world, f"leader-{holder}")
    officer = actor(db, world, "officer-330102")
    c = complaints.submit_public(db, agency_id=world.agencies[holder].id,
                                 enterprise_name=world.enterprises["330102-key"].name, address="上城路1号",
                                 matter="water", content="夜间有污水从暗管排入河道，河水发黑发臭", anonymous=anonymous,
                                 name="" if anonymous else "王先生", phone="" if anonymous else "13800001111")
    complaints.decide(db, leader, c.id, decision="accept")
    complaints.assign(db, leader, c.id, agency_id=world.agencies[holder].id, handlers=[f"officer-{holder}"])
    if c.enterprise_id is None:
        complaints.link_enterprise(db, leader, c.id, world.enterprises["330102-key"].id)
    task = task_from_complaint(db, leader, c.id, officer_ids=[world.officers["330102-0"].id,
                                                              world.officers["330102-1"].id])
    case = _referral_case(db, officer, task)
    db.flush()                      # the link is written at the next flush (with its audit entry)
    db.refresh(c)
    return c, case
