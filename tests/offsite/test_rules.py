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


def test_lead_rank_weights_come_from_the_rules(tmp_path):
    """Repeat offenders and key polluters rank first by the weights officials set, not constants."""
    from datetime import date

    import yaml

    from greensword.core.rules import rules_path
    from greensword.offsite import rules as offsite_rules
    from greensword.offsite.service import rank_score
    from greensword.settings import get_settings

    r = offsite_rules.rules().leads.on(date(2026, 6, 1))
    assert rank_score(r, 2.0, 0, False) == 2.0
    assert rank_score(r, 2.0, 3, False) == round(2.0 * (1 + r.rank_per_prior * 3), 4)
    assert rank_score(r, 2.0, 50, True) == round(2.0 * (1 + r.rank_per_prior * r.rank_prior_cap) * r.rank_key_factor, 4)
    assert rank_score(r, 2.0, 50, True) > rank_score(r, 2.0, 50, False) > rank_score(r, 2.0, 0, False)

    raw = yaml.safe_load(rules_path("offsite/detectors.yaml").read_text(encoding="utf-8"))
    raw["leads"][-1]["rank_key_factor"] = 3.0
    override = get_settings().data_dir / "rules" / "offsite" / "detectors.yaml"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r2 = offsite_rules.rules().leads.on(date(2026, 6, 1))
    assert rank_score(r2, 2.0, 0, True) == 6.0


@pytest.mark.parametrize("change,needle", [
    (lambda b: b.__setitem__(1, {**b[1], "capped_flags": ["M"]}), "停运标记"),
    (lambda b: b.__setitem__(1, {**b[1], "max_capped_hours": None}), "max_capped_hours"),
    (lambda b: b.pop(0), "default"),
])
def test_flag_policies_per_standard_are_checked(change, needle):
    raw = copy.deepcopy(load_raw("offsite/detectors.yaml"))
    change(raw["exceedance"]["by_standard"])
    with pytest.raises(ValidationError, match=needle):
        OffsiteRules.model_validate(raw)


def test_each_standard_has_its_flag_policy_with_a_source():
    ex = rules().exceedance
    assert ex.policy("GB 18485-2014 生活垃圾焚烧污染控制标准").max_capped_hours == 4
    assert ex.policy("GB 13223-2011").capped_flags == [] and ex.policy("").standard == "default"
    assert all(p.source.title for p in ex.by_standard)
    assert rules().screening.baseline_hours >= 24
