"""Detectors at, below and above their thresholds on hand-built hourly rows, with look-alikes;
and on generated data with every legitimate event present. Quality figures are the benchmark's
job (benchmarks/offsite_quality.py), not asserted here."""

from datetime import datetime, timedelta

import pytest

from greensword.offsite import engine
from greensword.offsite.detectors import (
    Data,
    Row,
    duplicate_pattern,
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
    for k in kinds:          # each kind planted at this interval is seen (rates: benchmarks/offsite_quality.py)
        assert q[k]["labels"] == 0 or q[k]["tp_l"] >= 1, (k, q[k])
    for f in found:
        assert f.explanation and f.thresholds and f.rows and f.start < f.end
        assert "e+" not in f.explanation and "e-0" not in f.explanation


def _day(d, values, mn=MN, factor="a21026"):
    return [row(d * 24 + h, factor, value=v, mn=mn) for h, v in enumerate(values)]


def _profile(seed):
    import random

    rnd = random.Random(seed)
    level, out = 20.0, []
    for _h in range(24):
        level = 0.7 * level + 0.3 * 20.0 + rnd.gauss(0, 1.5)
        out.append(round(level, 3))
    return out


@pytest.mark.parametrize("noise,rounded,other_point,found", [
    (0.0, False, False, True),          # an exact copy of an earlier day
    (0.005, False, False, True),        # with 0.5 % noise added
    (0.0, True, True, True),            # rounded, from another point
    (None, False, False, False),        # look-alike: a day with the same shape and level but its own variation
])
def test_copied_day_exact_noisy_rounded_or_from_another_point(noise, rounded, other_point, found):
    import random

    rnd = random.Random(5)
    src = _profile(1)
    if noise is None:
        copy = _profile(2)
    else:
        copy = [v * (1 + rnd.gauss(0, noise)) if noise else v for v in src]
    if rounded:
        copy = [round(v, 1) for v in copy]
    other = "U" * 24
    rows = _day(0, _profile(3)) + _day(1, src, mn=other if other_point else MN) + _day(2, copy)
    rows += _day(0, _profile(4), mn=other) if other_point else []
    lim = Limits({MN: {"a21026": (35.0, None)}, other: {"a21026": (35.0, None)}})
    out = duplicate_pattern.detect(Data(rows, 45, window=(T0 + timedelta(days=2), T0 + timedelta(days=3))), lim, R)
    assert bool(out) is found, [f.explanation for f in out]
    if found:
        assert out[0].start == T0 + timedelta(days=2) and "e+" not in out[0].explanation


def test_copies_found_across_windows_day_by_day(tmp_path):
    """Generated copies (noisy, rounded, from other points) found when screened day by day, the
    source day read from the earlier window's state or the baseline window."""
    root, labels, limits, s, e = make(tmp_path, {"duplicate_pattern": 4}, seed=23, points=12, days=6)
    assert labels and max(x["magnitude"] for x in labels) > 0      # noisy copies, not exact
    q = engine.quality(screen_days(root, limits, s, e), labels)["duplicate_pattern"]
    assert q["tp_l"] >= 1 and q["tp_f"] >= 1, q


def _marked(h, value, *, zs=None):
    """An hour wholly marked F (start-up/shut-down): no valid samples, all samples' values kept."""
    v = value
    return Row(MN, "a21026", T0 + timedelta(hours=h), 60, 0, None, None, None, None, v, zs, v, v, 60, 0, 0, 0, 0,
               0, 59, covered=0)


INC = Limits({MN: {"a21026": (35.0, None)}}, standards={(MN, "a21026"): "GB 18485-2014 生活垃圾焚烧污染控制标准"})
BOILER = Limits({MN: {"a21026": (35.0, None)}}, standards={(MN, "a21026"): "GB 13271-2014"})


@pytest.mark.parametrize("over_hours,found", [(4, False), (5, True), (7, True)])
def test_incinerator_start_up_allowance_is_capped_by_its_standard(over_hours, found):
    """GB 18485-2014: a start-up/shut-down episode may emit over the limit for 4 hours; marked hours
    over the limit past the fourth are judged. A boiler (GB 13271) has no such cap: never a lead."""
    rows = [row(h, value=20.0) for h in range(6)]
    rows += [_marked(6 + h, 1.0) for h in range(20)]                   # a long real shut-down at ~zero
    rows += [_marked(26 + h, 60.0) for h in range(over_hours)]          # start-up over the limit, marked F
    rows += [row(26 + over_hours + h, value=20.0) for h in range(4)]
    out = exceedance.detect(data(rows), INC, R)
    assert bool(out) is found, [f.explanation for f in out]
    if found:
        assert out[0].start == T0 + timedelta(hours=30) and out[0].end == T0 + timedelta(hours=26 + over_hours)
        assert "GB 18485-2014" in out[0].explanation and out[0].thresholds["max_capped_hours"] == 4
    assert exceedance.detect(data(rows), BOILER, R) == []
    assert exceedance.detect(data(rows), LIM, R) == []                   # no standard recorded: default


def test_maintenance_and_calibration_marks_are_never_capped():
    rows = [row(h, value=20.0) for h in range(4)]
    rows += [Row(MN, "a21026", T0 + timedelta(hours=4 + h), 60, 0, None, None, None, None, 80.0, None, 80.0, 80.0,
                 0, 60, 0, 0, 0, 0, 59, covered=0) for h in range(8)]   # marked M/C, values high
    assert exceedance.detect(data(rows), INC, R) == []


def test_near_limit_plant_that_dips_below_the_band_is_not_flat():
    """A genuine plant at 85–95 % of its limit: its in-band hours may be narrow, but the day's own
    variation (hours below the band too) is not that of a held value."""
    vals = [33.0 * (1 + 0.004 * ((h % 3) - 1)) for h in range(24)]
    for h in (3, 9, 15, 21):
        vals[h] = 27.0                                                      # 77 % of the limit
    assert near_limit.detect(data([row(h, value=v) for h, v in enumerate(vals)]), LIM, R) == []


def test_power_mismatch_episode_across_midnight_is_one_episode():
    from greensword.offsite.detectors import power_mismatch

    point, prod = "P" * 24, "M" * 24
    rows = []
    for h in range(48):
        stop = h in (23, 24)                                                # 23:00–01:00
        rows.append(Row(point, "a21026", T0 + timedelta(hours=h), 60, 0 if stop else 60, 10.0, None, 10.0, 10.0,
                        10.0, None, 10.0, 10.0, 60 if stop else 0, 0, 0, 0, 0, 0, 59, covered=0 if stop else 60))
        rows.append(Row(prod, "e10001", T0 + timedelta(hours=h), 60, 60, 500.0, None, 500.0, 500.0, 500.0, None,
                        500.0, 500.0, 0, 0, 0, 0, 0, 0, 59, covered=60))
    links = {point: [(prod, "e10001", "production")]}
    day2 = (T0 + timedelta(days=1), T0 + timedelta(days=2))
    out = power_mismatch.detect(Data(rows, 45, window=day2, links=links), Limits({point: {}}, links), R)
    assert [(f.start, f.end) for f in out] == [(T0 + timedelta(hours=23), T0 + timedelta(hours=25))]


def test_stored_explanations_write_numbers_as_people_do():
    rows = [row(h, value=900000.0, dev=900000.0, source="both") for h in range(5)]
    rows.append(row(5, value=915600.0, dev=1234567.0, source="both"))
    out = agg.detect(data(rows), LIM, R)
    assert out and "1,234,567" in out[0].explanation and "915,600" in out[0].explanation
    assert "e+" not in out[0].explanation


def test_missing_data_gap_across_midnight_is_one_gap():
    rows = [row(h) for h in range(48) if not 21 <= h < 26]             # 21:00–02:00 missing, two hours of it today
    day2 = (T0 + timedelta(days=1), T0 + timedelta(days=2))
    out = missing_data.detect(data(rows, day2), LIM, R)
    assert [(f.start, f.end) for f in out] == [(T0 + timedelta(hours=21), T0 + timedelta(hours=26))]


@pytest.mark.parametrize("off,found", [(0.04, False), (0.07, True)])
def test_device_daily_value_against_its_hours(off, found):
    rows = [row(h, value=20.0 + (h % 4)) for h in range(24)]
    day_avg = sum(20.0 + (h % 4) for h in range(24)) / 24
    d = Data(rows, 45, days={(MN, "a21026"): {T0.date(): (day_avg * (1 - off), "N")}})
    out = agg.detect(d, LIM, R)
    assert bool(out) is found
    if found:
        assert out[0].start == T0 and out[0].end == T0 + timedelta(days=1) and "日均值" in out[0].explanation


def test_generator_plants_daily_mismatches(tmp_path):
    """Some planted aggregate mismatches alter the device's daily (2031) value over a whole day."""
    root, labels, limits, s, e = make(tmp_path, {"aggregate_mismatch": 8}, seed=29, points=12, days=4, mix={1: 1.0})
    daily = [x for x in labels if x["detector"] == "aggregate_mismatch"
             and datetime.fromisoformat(x["end"]) - datetime.fromisoformat(x["start"]) == timedelta(days=1)]
    assert daily
    found = screen_days(root, limits, s, e)
    assert any(f.detector == "aggregate_mismatch" and f.mn == x["mn"] and f.end - f.start >= timedelta(hours=20)
               for x in daily for f in found)


def test_first_screened_day_reads_a_baseline_window_from_the_lake(tmp_path, monkeypatch):
    """Screening one day reads rules screening.baseline_hours of earlier data too, so each point's
    own baseline exists on the first day screened (not only from the second)."""
    from greensword.offsite.detectors import near_limit as nl

    root, _labels, limits, s, e = make(tmp_path, {}, seed=41, points=3, days=4, mix={10: 1.0})
    seen = {}

    def spy(data, limits, r):
        seen["first"] = data.col("hour").min().astype("datetime64[us]").item()
        return []

    monkeypatch.setattr(nl, "detect", spy)
    day = s + timedelta(days=3)
    engine.screen(root, limits, day, day + timedelta(days=1), names=["near_limit"])
    assert seen["first"] == day - timedelta(hours=R.screening.baseline_hours)


def test_marks_over_an_exceedance_found_on_a_day_with_many_marked_hours():
    """A day with too many marked hours (one finding) may also hide an exceedance under marks
    elsewhere that day: both are found, the long run is not the only thing looked at."""
    from greensword.offsite.detectors import flag_abuse

    def marked(h, v):
        return Row(MN, "a21026", T0 + timedelta(hours=h), 60, 0, None, None, None, None, v, None, v * 1.02,
                   v * 0.98, 0, 60, 0, 0, 0, 0, 59, covered=0)

    rows = [row(h, value=20.0) for h in range(24)]
    rows = [x for x in rows if x.hour.hour not in (8, 9, 15, 16, 17, 18, 19)]
    rows += [marked(8, 60.0), marked(9, 62.0)]                          # covering an exceedance
    rows += [marked(h, 0.1) for h in (15, 16, 17, 18, 19)]              # five hours of maintenance at zero
    out = flag_abuse.detect(data(rows), LIM, R)
    assert sorted((f.start.hour, f.end.hour) for f in out) == [(8, 10), (15, 20)], [f.explanation for f in out]


@pytest.mark.parametrize("maintenance,calibrations,found", [
    (4, 1, False),      # announced 4 h maintenance and the day's routine zero/span check
    (5, 0, True),       # five hours of marks in one run
    (4, 2, True),       # two isolated marked hours: only one is the routine check
    (3, 1, False),
])
def test_daily_marked_hours_with_the_routine_calibration(maintenance, calibrations, found):
    from greensword.offsite.detectors import flag_abuse

    def marked(h):
        return Row(MN, "a21026", T0 + timedelta(hours=h), 60, 0, None, None, None, None, 0.2, None, 0.3, 0.1,
                   0, 60, 0, 0, 0, 0, 59, covered=0)

    hours = set(range(8, 8 + maintenance)) | set([2, 20][:calibrations])
    rows = [row(h, value=20.0) for h in range(24) if h not in hours] + [marked(h) for h in sorted(hours)]
    assert bool(flag_abuse.detect(data(rows), LIM, R)) is found


def test_hours_covering_an_exceedance_are_not_counted_again_as_maintenance():
    """Two marked hours hiding an exceedance (their own finding) and a three-hour maintenance on
    the same day: the maintenance is within the daily cap, not a second lead."""
    from greensword.offsite.detectors import flag_abuse

    def marked(h, v):
        return Row(MN, "a21026", T0 + timedelta(hours=h), 60, 0, None, None, None, None, v, None, v * 1.02,
                   v * 0.98, 0, 60, 0, 0, 0, 0, 59, covered=0)

    hours = {3: 60.0, 4: 62.0, 13: 0.1, 14: 0.1, 15: 0.1}
    rows = [row(h, value=20.0) for h in range(24) if h not in hours] + [marked(h, v) for h, v in hours.items()]
    out = flag_abuse.detect(data(rows), LIM, R)
    assert [(f.start.hour, f.end.hour) for f in out] == [(3, 5)], [f.explanation for f in out]
