import pytest

from greensword.offsite import engine, generator
from greensword.offsite.detectors import NAMES
from tests.offsite.conftest import make


def test_legitimate_events_raise_no_leads(clean):
    root, labels, limits, s, e = clean
    assert labels == []
    found = engine.screen(root, limits, s, e)
    assert found == [], [(f.detector, f.mn, f.start, f.explanation) for f in found]


@pytest.mark.parametrize("name", NAMES)
def test_each_detector_finds_its_injections_and_only_there(tmp_path, name):
    root, labels, limits, s, e = make(tmp_path, {name: 3}, seed=NAMES.index(name) + 11)
    assert len(labels) >= 2
    found = engine.screen(root, limits, s, e)
    q = engine.quality(found, labels)[name]
    assert q["recall"] == 1.0 and q["precision"] == 1.0, q
    for f in found:
        if f.detector == name:
            assert f.explanation and f.thresholds and f.rows and f.start < f.end


def test_all_kinds_together(tmp_path):
    root, labels, limits, s, e = make(tmp_path, {k: 1 for k in generator.KINDS}, seed=99, points=15, days=6)
    found = engine.screen(root, limits, s, e)
    for name, q in engine.quality(found, labels).items():
        assert q["recall"] == 1.0 and q["precision"] == 1.0, (name, q)


def test_day_by_day_screening_keeps_baselines_and_fingerprints(tmp_path):
    from datetime import timedelta

    root, labels, limits, s, e = make(tmp_path, {"sudden_drop": 2, "duplicate_pattern": 2}, seed=5, points=9, days=5)
    state: dict = {}
    found = []
    d = s
    while d < e:
        found += engine.screen(root, limits, d, d + timedelta(days=1), context=timedelta(hours=24), state=state)
        d += timedelta(days=1)
    q = engine.quality(found, labels)
    assert q["sudden_drop"]["recall"] == 1.0 and q["duplicate_pattern"]["recall"] == 1.0, q


def test_corrected_value_is_judged_not_raw(tmp_path):
    """A gas point's raw value over the limit but its 折算 value below it is not an exceedance."""
    root, labels, limits, s, e = make(tmp_path, {}, seed=3, points=3, days=3)
    lowered = {mn: {f: (lim * 0.5 if lim else lim, ref) for f, (lim, ref) in fs.items()}
               for mn, fs in limits.table.items()}
    from greensword.offsite.hourly import Limits

    raw_judged = engine.screen(root, Limits(lowered), s, e, names=["exceedance"])
    assert raw_judged        # halving the limit makes the normal level exceed — the detector reads 折算 values
    assert not engine.screen(root, limits, s, e, names=["exceedance"])
