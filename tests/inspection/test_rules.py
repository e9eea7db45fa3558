"""Inspection's dated rules: task due times from rules/inspection/tasks.yaml, sampling by date."""

from datetime import date, datetime, timedelta

import pytest

from greensword.core.errors import ValidationFailed
from greensword.core.timeutil import TZ
from greensword.inspection import service
from greensword.inspection.service import sampling, task_rules

from ..factories import actor


def test_lead_task_due_is_48_hours_or_4_for_an_urgent_lead():
    r = task_rules(date(2026, 3, 1))
    assert (r.lead_hours, r.lead_hours_urgent) == (48, 4)
    late = datetime(2026, 3, 1, 21, 0, tzinfo=TZ)            # 4 h crosses midnight, 48 h two days
    assert service.lead_task_due(late, urgent=True) == date(2026, 3, 2)
    assert service.lead_task_due(late, urgent=False) == date(2026, 3, 3)
    early = datetime(2026, 3, 1, 9, 0, tzinfo=TZ)            # 4 h stays the same day
    assert service.lead_task_due(early, urgent=True) == date(2026, 3, 1)


def test_targeted_task_without_due_date(db, world):
    offs = [world.officers["330102-0"].id, world.officers["330102-1"].id]
    off = actor(db, world, "officer-330102")
    key = next(e for e in world.enterprises.values() if e.key_polluter and e.agency.division_code == "330102")
    plain = next(e for e in world.enterprises.values()
                 if not e.key_polluter and e.agency.division_code == "330102")
    t_key = service.create_targeted_task(db, off, enterprise_id=key.id, source="lead", source_ref="线索 1",
                                         officer_ids=offs)
    t_plain = service.create_targeted_task(db, off, enterprise_id=plain.id, source="lead", source_ref="线索 2",
                                           officer_ids=offs)
    assert t_key.due_date == (t_key.created_at + timedelta(hours=4)).date()
    assert t_plain.due_date == (t_plain.created_at + timedelta(hours=48)).date()
    with pytest.raises(ValidationFailed) as exc:             # a complaint's check needs its own due date
        service.create_targeted_task(db, off, enterprise_id=plain.id, source="complaint", source_ref="信访 1",
                                     officer_ids=offs)
    assert exc.value.code == "inspection.no_due_date"


def test_sampling_is_read_by_date():
    assert sampling(date(2021, 1, 1)).strata[0].ratio == 0.25
    with pytest.raises(ValidationFailed):
        sampling(date(2014, 12, 31))                          # before the first version
