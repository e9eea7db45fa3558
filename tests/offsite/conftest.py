from datetime import date, datetime, timedelta

import pytest

from greensword.offsite import generator

START = date(2026, 3, 2)


def make(tmp_path, counts, seed=7, points=9, days=4):
    root = tmp_path / "lake"
    _, labels, limits = generator.generate(root, points=points, days=days, start=START, seed=seed, counts=counts)
    s = datetime.combine(START, datetime.min.time())
    return root, labels, limits, s, s + timedelta(days=days)


@pytest.fixture
def clean(tmp_path):
    """No injections: daily cycles, noise, weekly announced maintenance, a real shut-down with its
    start-up ramp (points 0, 4, 8 on day 2)."""
    return make(tmp_path / "clean", {})
