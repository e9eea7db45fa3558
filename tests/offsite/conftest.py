from datetime import date, datetime, timedelta

import pytest

from greensword.offsite import adversary, engine

START = date(2026, 3, 2)


def make(tmp_path, counts, seed=7, points=9, days=4, mix=None, ranges="detect"):
    root = tmp_path / "lake"
    specs, labels, limits = adversary.generate(root, points=points, days=days, start=START, seed=seed,
                                               counts=counts, mix=mix, ranges=ranges)
    s = datetime.combine(START, datetime.min.time())
    return root, labels, limits, s, s + timedelta(days=days)


def screen_days(root, limits, s, e, **kw):
    """Day by day, as ``greensword offsite detect`` does (24 h context, state carried over)."""
    state: dict = {}
    found = []
    d = s
    while d < e:
        found += engine.screen(root, limits, d, d + timedelta(days=1), state=state, **kw)
        d += timedelta(days=1)
    return found


@pytest.fixture
def clean(tmp_path):
    """No violations, but every legitimate look-alike the generator knows: shut-downs with
    start-up ramps above the limit under F, maintenance at zero under M, daily zero/span
    calibrations under C, calibration drift, low-load periods, plants at 80–90 % of their limit,
    back-filled outages, re-sent packets, 1/5/10-minute and hourly-only points."""
    return make(tmp_path / "clean", {}, seed=31, points=14, days=4)
