"""The off-site rules file is typed: every threshold is there with its source, none defaults in code."""

import copy
from datetime import date

import pytest
from pydantic import ValidationError

from greensword.core.rules import load_raw
from greensword.offsite.detectors import LABELS, NAMES
from greensword.offsite.rules import OffsiteRules, rules


def test_every_detector_has_a_block_with_a_source_and_a_label():
    r = rules()
    for name in NAMES:
        assert r.block(name).source.title and LABELS[name]
    v = r.validity.on(date(2026, 3, 2))
    assert (v.minutes_per_valid_hour, v.hours_per_valid_day) == (45, 20)
    assert r.leads.on(date(2026, 3, 2)).fold_hours > 0


@pytest.mark.parametrize("path", [("sudden_drop", "after_stop_hours"), ("leads", 0, "fold_hours"),
                                  ("flatline", "min_hours"), ("validity", 0, "minutes_per_valid_hour")])
def test_a_missing_threshold_is_an_error_not_a_default(path):
    raw = copy.deepcopy(load_raw("offsite/detectors.yaml"))
    node = raw
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    with pytest.raises(ValidationError):
        OffsiteRules.model_validate(raw)


def test_rules_before_the_standard_took_effect_are_refused():
    from greensword.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        rules().validity.on(date(2017, 1, 1))
