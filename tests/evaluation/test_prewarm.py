"""A starting worker computes the figures the statistics and ranking pages open with in the
background, so its first visitors get them from the cache (national scale: seconds each)."""

from greensword.evaluation import service, statistics
from greensword.settings import get_settings
from tests.conftest import csrf_client, login_as


def _counting(monkeypatch) -> dict:
    calls = {"figures": 0, "ranking": 0}
    compute, evaluate = statistics._compute, service._evaluate

    def count_compute(*a, **kw):
        calls["figures"] += 1
        return compute(*a, **kw)

    def count_evaluate(*a, **kw):
        calls["ranking"] += 1
        return evaluate(*a, **kw)

    monkeypatch.setattr(statistics, "_compute", count_compute)
    monkeypatch.setattr(service, "_evaluate", count_evaluate)
    return calls


def test_the_opening_figures_are_ready_before_the_first_visitor(app, world, monkeypatch):
    monkeypatch.setenv("GREENSWORD_PREWARM_FIGURES", "1")
    get_settings.cache_clear()
    calls = _counting(monkeypatch)
    with csrf_client(app) as client:
        app.state.prewarm.join(120)
        assert not app.state.prewarm.is_alive()
        warmed = dict(calls)
        assert warmed["figures"] >= 1 and warmed["ranking"] >= 3    # the report's periods; three levels
        login_as(client, "leader-330000")
        for url in ("/statistics", "/evaluation", "/evaluation?level=city", "/evaluation?level=province"):
            assert client.get(url).status_code == 200
        assert calls == warmed                                      # nothing computed again for them


def test_no_background_work_when_switched_off(app, world, monkeypatch):
    calls = _counting(monkeypatch)
    with csrf_client(app):
        assert getattr(app.state, "prewarm", None) is None
    assert calls == {"figures": 0, "ranking": 0}
