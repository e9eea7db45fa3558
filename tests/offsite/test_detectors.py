"""Detectors at, below and above their thresholds on hand-built hourly rows, with look-alikes;
and on generated data with every legitimate event present. Quality figures are the benchmark's
job (benchmarks/offsite_quality.py), not asserted here."""

from datetime import datetime, timedelta

import pytest

from greensword.offsite import engine
from greensword.offsite.detectors import (
    Data,
    Row,
    exceedance,
    flatline,
    missing_data,
    near_limit,
    o2_dilution,
    sudden_drop,
)
from greensword.offsite.detectors import aggregate_mismatch as agg
from greensword.offsite.hourly import Limits
from greensword.offsite.rules import rules
from tests.offsite.conftest import make, screen_days

T0 = datetime(2026, 3, 2)
MN = "T" * 24
R = rules()


def row(h, factor="a21026", value=10.0, *, mn=MN, covered=60, spread=0.1, zs=None, stop=0, maint=0, dev=None,
        source="minute", n=60, interval=1):
    v = value
    return Row(mn, factor, T0 + timedelta(hours=h), n, n if covered >= 45 else covered // interval,
               v if covered >= 45 else None, zs, v * (1 - spread / 2), v * (1 + spread / 2), v, zs, v * (1 + spread / 2),
               v * (1 - spread / 2), stop, maint, 0, 0, 0, 0, 59, interval=interval, covered=covered,
               source=source, dev_value=dev)


def data(rows, window=None):
    return Data(rows, 45, window=window)


LIM = Limits({MN: {"a21026": (35.0, None), "a00000": (None, None), "a19001": (None, None)}})


@pytest.mark.parametrize("value,covered,found", [(35.0, 60, False), (35.5, 60, True), (80.0, 40, False),
                                                 (80.0, 45, True)])
def test_exceedance_at_the_limit_and_on_time_covered(value, covered, found):
    rows = [row(h, value=20.0) for h in range(5)] + [row(5, value=value, covered=covered)]
    assert bool(exceedance.detect(data(rows), LIM, R)) is found


def test_corrected_value_is_judged_not_raw(monkeypatch):
    """O2 below the reference: corrected (折算) < raw. Raw 1.2 × limit, corrected 0.86 × limit is no
    exceedance; a detector that judged raw values would raise one (shown by patching it to)."""
    lim = Limits({MN: {"a21026": (35.0, 11.0)}})
    raw = 42.0
    zs = raw * (21 - 11.0) / (21 - 7.0)
    assert zs < 35.0 < raw
    rows = [row(h, value=raw, zs=zs) for h in range(6)]
    assert exceedance.detect(data(rows), lim, R) == []
    monkeypatch.setattr(exceedance, "judged", lambda x, ref: x.avg_value)
    monkeypatch.setattr(exceedance, "judged_col", lambda d, limits: d.col("avg_value"))
    assert exceedance.detect(data(rows), lim, R), "judging raw values must raise a finding here"


@pytest.mark.parametrize("hours,found", [(3, False), (4, True)])
def test_flatline_needs_four_hours_and_a_normally_varying_point(hours, found):
    rows = [row(h, value=10 + (h % 3)) for h in range(8)]
    rows += [row(8 + h, value=12.0, spread=0.0) for h in range(hours)]
    rows += [row(8 + hours + h, value=10 + (h % 3)) for h in range(3)]
    assert bool(flatline.detect(data(rows), LIM, R)) is found
    # an instrument whose readings are always that flat (quantised) is not judged
    quiet = [row(h, value=12.0, spread=0.0) for h in range(12)]
    assert flatline.detect(data(quiet), LIM, R) == []


@pytest.mark.parametrize("share,flow,found", [(0.42, 100, False), (0.38, 100, True), (0.2, 50, False)])
def test_sudden_drop_as_share_of_own_level_with_flow_normal(share, flow, found):
    rows, flows = [], []
    for h in range(30):
        low = 24 <= h < 28
        rows.append(row(h, value=20.0 * (share if low else 1) * (1 + 0.01 * (h % 5))))
        flows.append(row(h, "a00000", value=(flow if low else 100.0)))
    assert bool(sudden_drop.detect(data(rows + flows), LIM, R)) is found


def test_sudden_drop_after_a_stop_is_a_start_up():
    rows = [row(h, value=20.0) for h in range(24)] + [row(24, value=0.5, stop=60, covered=0)]
    rows += [row(25 + h, value=3.0) for h in range(3)]
    assert sudden_drop.detect(data(rows), LIM, R) == []


@pytest.mark.parametrize("rise,flow,found", [(2.5, 100, False), (3.5, 100, True), (3.5, 60, False),
                                            (11.9, 100, False)])
def test_o2_rise_against_own_median_unless_load_explains_it(rise, flow, found):
    rows = []
    for h in range(30):
        up = 24 <= h < 27
        rows.append(row(h, "a19001", value=8.5 + 0.1 * (h % 3) + (rise if up else 0)))
        rows.append(row(h, "a00000", value=flow if up else 100.0))
    assert bool(o2_dilution.detect(data(rows), LIM, R)) is found


def test_near_limit_flat_band_but_not_a_plant_that_varies():
    flat = [row(h, value=33.0 * (1 + 0.004 * ((h % 3) - 1))) for h in range(24)]
    assert near_limit.detect(data(flat), LIM, R)
    varied = [row(h, value=32.0 * (1 + 0.04 * ((h % 5) - 2))) for h in range(24)]
    assert near_limit.detect(data(varied), LIM, R) == []


@pytest.mark.parametrize("gap,found", [(2, False), (3, True)])
def test_missing_data_by_time_covered(gap, found):
    rows = [row(h, covered=40 if 5 <= h < 5 + gap else 60, n=4 if 5 <= h < 5 + gap else 60) for h in range(12)]
    assert bool(missing_data.detect(data(rows, (T0, T0 + timedelta(hours=12))), LIM, R)) is found
    # 10-minute data: six samples cover the hour
    tens = [row(h, covered=60, n=6, interval=10) for h in range(12)]
    assert missing_data.detect(data(tens, (T0, T0 + timedelta(hours=12))), LIM, R) == []


@pytest.mark.parametrize("off,found", [(0.04, False), (0.06, True)])
def test_device_hourly_value_against_its_minutes(off, found):
    rows = [row(h, value=20.0, dev=20.0, source="both") for h in range(5)]
    rows.append(row(5, value=20.0, dev=20.0 * (1 - off), source="both"))
    assert bool(agg.detect(data(rows), LIM, R)) is found


def test_legitimate_events_raise_no_leads(clean):
    root, labels, limits, s, e = clean
    assert labels == []
    found = screen_days(root, limits, s, e)
    assert found == [], [(f.detector, f.mn, f.start, f.explanation) for f in found]


@pytest.mark.parametrize("mix", [{1: 1.0}, {10: 1.0}, {60: 1.0}])
def test_injections_found_at_every_interval(tmp_path, mix):
    kinds = ["exceedance", "flatline", "sudden_drop", "missing_data", "out_of_range", "o2_dilution"]
    root, labels, limits, s, e = make(tmp_path, {k: 1 for k in kinds}, seed=17, points=10, days=4, mix=mix)
    found = screen_days(root, limits, s, e)
    q = engine.quality(found, labels, kinds)
    for k in kinds:
        assert q[k]["tp_l"] == q[k]["labels"], (k, q[k])
    for f in found:
        assert f.explanation and f.thresholds and f.rows and f.start < f.end


def test_copies_with_noise_and_from_other_points_are_found_across_windows(tmp_path):
    root, labels, limits, s, e = make(tmp_path, {"duplicate_pattern": 3}, seed=23, points=10, days=5)
    assert len(labels) >= 2 and max(x["magnitude"] for x in labels) > 0      # noisy copies, not exact
    q = engine.quality(screen_days(root, limits, s, e), labels)["duplicate_pattern"]
    assert q["tp_l"] == len(labels) and q["precision"] == 1.0, q
