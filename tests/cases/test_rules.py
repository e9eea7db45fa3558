from datetime import date

import pytest

from greensword.cases import calendar, deadlines, discretion
from greensword.core.errors import ValidationFailed


@pytest.mark.parametrize("start,days,day_type,want", [
    # 2026 National Day: Oct 1–7 off (Oct 8 is a working day); a period ending on Oct 3 moves to Oct 8
    (date(2026, 9, 26), 7, "calendar", date(2026, 10, 8)),
    (date(2026, 9, 28), 5, "calendar", date(2026, 10, 8)),
    # ending on an ordinary Saturday → Monday
    (date(2026, 11, 2), 5, "calendar", date(2026, 11, 9)),
    # ending on a working day stays
    (date(2026, 11, 2), 15, "calendar", date(2026, 11, 17)),
    # 3 working days from Wednesday 2026-09-30: Oct 1–7 are holidays, Oct 8 (Thu), 9 (Fri), 10 (Sat make-up day)
    (date(2026, 9, 30), 3, "working", date(2026, 10, 10)),
    # Spring Festival 2026 (Feb 15–23 off, Feb 14 and 28 make-up working days)
    (date(2026, 2, 12), 3, "working", date(2026, 2, 24)),
    # a year chinese-calendar does not know: the override file's 2027 New Year's Day
    (date(2026, 12, 29), 3, "calendar", date(2027, 1, 4)),
])
def test_periods_over_holidays(start, days, day_type, want):
    assert calendar.add_days(start, days, day_type) == want


def test_unknown_year_uses_override_and_says_so():
    assert not calendar.is_workday(date(2027, 10, 1))
    assert calendar.known(date(2027, 1, 1))
    assert not calendar.known(date(2031, 1, 1))
    assert calendar.is_workday(date(2031, 1, 6))      # weekdays only, flagged as unknown


def test_payment_period_and_surcharge_capped_at_the_fine():
    class C:
        fine, offset_yuan, paid_yuan, closed_on, outcome = 100_000, 0, 0, None, "penalty"
        served_on = decided_on = date(2026, 3, 2)
        payment_plan, appeals = {}, []

    due = deadlines.period_end("payment", C.served_on)
    assert due == date(2026, 3, 17)
    assert deadlines.surcharge(C, due) == 0
    assert deadlines.surcharge(C, date(2026, 3, 18)) == 3_000          # one day: 3 %
    assert deadlines.surcharge(C, date(2026, 3, 27)) == 30_000
    assert deadlines.surcharge(C, date(2026, 12, 31)) == 100_000       # never above the fine


@pytest.mark.parametrize("v", discretion.rules().violations, ids=lambda v: v.code)
def test_discretion_examples_from_the_rules_file(v):
    assert v.examples, f"{v.code} has no worked example"
    for ex in v.examples:
        p = discretion.propose(v.code, ex.answers)
        assert p.amount == ex.fine
        assert v.range[0] <= p.amount <= v.range[1]
        assert any(str(f"{ex.fine:,}") in line for line in p.lines)


def test_discretion_modifiers_and_bad_input():
    base = discretion.propose("AIR-99-2", {"ratio": "0.5-1倍", "duration": "单次", "area": "一般区域",
                                            "pollutant": "颗粒物/SO2/NOx"})
    lighter = discretion.propose("AIR-99-2", base_answers := {"ratio": "0.5-1倍", "duration": "单次",
                                                               "area": "一般区域", "pollutant": "颗粒物/SO2/NOx"},
                                 ["lighter"])
    heavier = discretion.propose("AIR-99-2", base_answers, ["heavier"])
    mitigated = discretion.propose("AIR-99-2", base_answers, ["mitigated"])
    assert lighter.amount == 334_000 and heavier.amount == 604_000 and base.amount == 424_000
    assert mitigated.amount == 50_000 < 100_000
    with pytest.raises(ValidationFailed, match="未填写"):
        discretion.propose("AIR-99-2", {"ratio": "0.5-1倍"})
    with pytest.raises(ValidationFailed, match="档次"):
        discretion.propose("AIR-99-2", {**base_answers, "ratio": "10倍"})
    with pytest.raises(ValidationFailed):
        discretion.propose("NO-SUCH", {})


def test_non_penalty_list_needs_every_condition():
    facts = {"first_offence": True, "minor_harm": True, "corrected_in_time": True}
    assert discretion.non_penalty_match("SW-112-1", facts)
    assert discretion.non_penalty_match("SW-112-1", {**facts, "corrected_in_time": False}) is None
    assert discretion.non_penalty_match("AIR-99-2", facts) is None


def test_study_offset_caps():
    # 30 % of the fine, at most 50,000 yuan, 100 yuan per point, whole points only
    assert discretion.study_offset("AIR-100-3", 74_000, 1_000, major=False) == (22_200, 222)
    assert discretion.study_offset("AIR-100-3", 74_000, 50, major=False) == (5_000, 50)
    assert discretion.study_offset("AIR-99-2", 424_000, 10_000, major=False) == (50_000, 500)
    assert discretion.study_offset("AIR-99-2", 424_000, 10_000, major=True) == (0, 0)
    assert discretion.study_offset("WATER-83-3", 820_000, 10_000, major=False) == (0, 0)


def test_upper_case_amounts():
    from greensword.cases.documents import _upper

    assert _upper(424_000) == "肆拾贰万肆仟元整"
    assert _upper(100_005) == "壹拾万零伍元整"
    assert _upper(1_000_000) == "壹佰万元整"


def test_minimum_officers_is_a_dated_rule_cited_in_refusals():
    from types import SimpleNamespace

    from greensword.cases import procedure, workflow

    rule = procedure.officers(date(2026, 3, 2))
    assert rule.minimum == 2 and "第四十二条" in rule.source.article
    ctx = workflow.Ctx(on=date(2026, 3, 2), data={})
    refusal = workflow._investigate(SimpleNamespace(officer_ids=[7, 7]), ctx)   # one officer twice is one officer
    assert refusal and "两名以上" in refusal and "第四十二条" in refusal
    assert workflow._investigate(SimpleNamespace(officer_ids=[7, 8]), ctx) is None
