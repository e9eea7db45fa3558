import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_window():
    """The public form's rate limit is per process; each test starts with an empty window."""
    from greensword.complaint.service import _hits

    _hits.clear()
    yield
    _hits.clear()
