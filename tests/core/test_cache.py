"""core.cache: figures kept between requests are never served after an audited write, whoever
wrote (another session, another worker process), and a writing transaction sees its own writes;
sign-ins, sign-outs and token events (audited too, but changing no figure) keep them."""

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from greensword.cases import service as cases
from greensword.core import audit, auth
from greensword.core.db import session_factory
from greensword.evaluation import statistics
from greensword.evaluation.statistics import Filters
from tests.factories import PASSWORD, actor

SRC = str(Path(__file__).resolve().parents[2] / "src")
PERIOD = Filters(date(2026, 3, 1), date(2026, 3, 31))


def _file_case(db, world, on: date) -> None:
    who = {r: actor(db, world, f"{r}-330102") for r in ("officer", "leader")}
    c = cases.open_case(db, who["officer"], enterprise_id=world.enterprises["330102-small"].id, title="案件",
                        facts="违法事实", source="inspection", discovered_on=on - timedelta(days=1),
                        officer_ids=[world.officers["330102-0"].id, world.officers["330102-1"].id])
    cases.act(db, who["leader"], c.id, "file", on=on, documents_on=False)


def _filed(session, world) -> float:
    return statistics.compute(session, PERIOD)[world.agencies["330102"].id].values["cases_filed"]


def test_a_cached_figure_is_reused_until_a_write_then_recomputed(engine, db, world, monkeypatch):
    _file_case(db, world, date(2026, 3, 2))
    db.commit()
    calls = []
    real = statistics._compute
    monkeypatch.setattr(statistics, "_compute", lambda *a: calls.append(1) or real(*a))
    reader = session_factory(engine)()
    assert _filed(reader, world) == 1
    reader.commit()
    assert _filed(reader, world) == 1 and len(calls) == 1          # the second request used the cache
    reader.commit()
    _file_case(db, world, date(2026, 3, 3))                         # another session writes and commits
    db.commit()
    assert _filed(reader, world) == 2 and len(calls) == 2
    reader.close()


def test_a_writing_transaction_sees_its_own_write(db, world):
    db.commit()
    assert _filed(db, world) == 0
    db.commit()
    _file_case(db, world, date(2026, 3, 2))                        # not committed yet
    assert _filed(db, world) == 1
    db.rollback()
    assert _filed(db, world) == 0                                  # the rolled-back figure was not kept


def test_callers_get_their_own_copy(db, world):
    db.commit()
    first = statistics.compute(db, PERIOD)
    first[world.agencies["330102"].id].values["cases_filed"] = 99
    assert _filed(db, world) == 0


SCRIPT = """
import sys
from datetime import date, timedelta
from greensword.core.db import load_all_models, make_engine, session_scope
load_all_models()
from greensword.core.auth import Actor
from greensword.cases import service as cases
from greensword.core import audit, auth
with session_scope(make_engine(sys.argv[1])) as s:
    officer = Actor(username="w2-officer", roles=frozenset({"officer"}), agency_path="/")
    leader = Actor(username="w2-leader", roles=frozenset({"leader"}), agency_path="/")
    c = cases.open_case(s, officer, enterprise_id=int(sys.argv[2]), title="另一进程立案", facts="违法事实",
                        source="inspection", discovered_on=date(2026, 3, 4), officer_ids=[int(x) for x in sys.argv[3:]])
    cases.act(s, leader, c.id, "file", on=date(2026, 3, 5), documents_on=False)
"""


def test_a_write_in_another_worker_process_invalidates(engine, db, world):
    db.commit()
    assert _filed(db, world) == 0
    db.commit()
    url = engine.url.render_as_string(hide_password=False)
    args = [str(world.enterprises["330102-small"].id), str(world.officers["330102-0"].id),
            str(world.officers["330102-1"].id)]
    r = subprocess.run([sys.executable, "-c", SCRIPT, url, *args], env={"PYTHONPATH": SRC, "PATH": "/usr/bin"},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-1500:]
    assert _filed(db, world) == 1


def _counting(monkeypatch) -> list:
    calls = []
    real = statistics._compute
    monkeypatch.setattr(statistics, "_compute", lambda *a: calls.append(1) or real(*a))
    return calls


def test_sign_in_and_out_keep_the_cached_figures(engine, db, world, monkeypatch):
    _file_case(db, world, date(2026, 3, 2))
    db.commit()
    calls = _counting(monkeypatch)
    reader = session_factory(engine)()
    assert _filed(reader, world) == 1
    reader.commit()
    seq = audit.verify(db).checked
    other = session_factory(engine)()                               # someone signs in and out meanwhile
    secret, _user = auth.login(other, "leader-330102", PASSWORD)
    auth.resolve_token(other, secret, kind="session")
    auth.revoke_token(other, secret)
    other.commit()
    other.close()
    assert audit.verify(db).checked == seq + 2                      # both are in the chain …
    assert _filed(reader, world) == 1 and len(calls) == 1          # … and the figure was not recomputed
    reader.commit()
    _file_case(db, world, date(2026, 3, 3))                         # a data write still drops it
    db.commit()
    assert _filed(reader, world) == 2 and len(calls) == 2
    reader.close()


LOGIN_SCRIPT = """
import sys
from greensword.core.db import load_all_models, make_engine, session_scope
load_all_models()
from greensword.core import auth
with session_scope(make_engine(sys.argv[1])) as s:
    secret, _ = auth.login(s, sys.argv[2], sys.argv[3], address="10.0.0.9")
    auth.revoke_token(s, secret)
"""


def test_a_sign_in_in_another_worker_process_keeps_the_figure(engine, db, world, monkeypatch):
    _file_case(db, world, date(2026, 3, 2))
    db.commit()
    calls = _counting(monkeypatch)
    assert _filed(db, world) == 1
    db.commit()
    url = engine.url.render_as_string(hide_password=False)
    r = subprocess.run([sys.executable, "-c", LOGIN_SCRIPT, url, "officer-330102", PASSWORD],
                       env={"PYTHONPATH": SRC, "PATH": "/usr/bin"}, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-1500:]
    assert _filed(db, world) == 1 and len(calls) == 1


def test_a_slow_figure_is_served_from_before_a_write_while_it_is_recomputed(engine, db, world, monkeypatch):
    """A figure that took ≥ cache_stale_after_s to compute (here: any) is served at once from the
    previous data head, marked with its time, and recomputed in the background on its own session."""
    from greensword.core import cache

    monkeypatch.setattr(cache, "_stale_after_s", lambda: 0.0)
    _file_case(db, world, date(2026, 3, 2))
    db.commit()
    calls = _counting(monkeypatch)
    first = session_factory(engine)()
    assert _filed(first, world) == 1 and cache.stale_since(first) is None
    first.close()
    _file_case(db, world, date(2026, 3, 3))
    db.commit()
    second = session_factory(engine)()
    assert _filed(second, world) == 1                               # the previous figure, at once …
    assert cache.stale_since(second) is not None                    # … marked as such
    second.close()
    assert cache.wait_refreshed(60)
    assert len(calls) == 2                                          # recomputed once, in the background
    third = session_factory(engine)()
    assert _filed(third, world) == 2 and cache.stale_since(third) is None
    assert len(calls) == 2                                          # … and that result is what is served
    third.close()


def test_the_console_names_the_time_of_figures_served_stale(app, client, db, world, monkeypatch):
    from greensword.core import cache
    from tests.conftest import login_as

    monkeypatch.setattr(cache, "_stale_after_s", lambda: 0.0)
    login_as(client, "leader-330100")
    assert "stale-figures" not in client.get("/statistics").text
    _file_case(db, world, date(2026, 3, 3))
    db.commit()
    page = client.get("/statistics")
    assert page.status_code == 200 and 'id="stale-figures"' in page.text and "后台计算" in page.text
    assert cache.wait_refreshed(60)
    assert "stale-figures" not in client.get("/statistics").text


def test_the_api_names_the_time_of_figures_served_stale(app, client, db, world, monkeypatch):
    from greensword.core import cache

    monkeypatch.setattr(cache, "_stale_after_s", lambda: 0.0)
    token = client.post("/api/v1/auth/token", json={"username": "leader-330100", "password": "secret-pass-1"}
                        ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    r = client.get("/api/v1/evaluation/statistics", headers=auth)
    assert r.status_code == 200 and "x-figures-stale-since" not in r.headers
    _file_case(db, world, date(2026, 3, 3))
    db.commit()
    r = client.get("/api/v1/evaluation/statistics", headers=auth)
    assert r.status_code == 200 and datetime.fromisoformat(r.headers["x-figures-stale-since"]) <= datetime.now().astimezone()
    assert cache.wait_refreshed(60)
    assert "x-figures-stale-since" not in client.get("/api/v1/evaluation/statistics", headers=auth).headers


def test_a_late_background_refresh_does_not_replace_a_newer_figure():
    """A refresh that started at an older data head and finishes after a request computed the
    figure at a newer one keeps the newer figure."""
    from greensword.core import cache

    cache._put(("f", ()), (7, "newer"), 0.0, "new", 0.1)
    cache._put(("f", ()), (5, "older"), 0.0, "old", 0.1, unless_newer=True)
    assert cache._store[("f", ())][2] == "new"
    cache._put(("f", ()), (8, "newest"), 0.0, "newest", 0.1, unless_newer=True)
    assert cache._store[("f", ())][2] == "newest"


def _nested(monkeypatch):
    """An outer figure computed from an inner one (as a ranking from the statistics), both slow
    enough to be served stale."""
    from greensword.core import cache

    monkeypatch.setattr(cache, "_stale_after_s", lambda: 0.0)

    def inner(s):
        return cache.cached(s, "test.inner", (), refresh=lambda s2: statistics._compute(s2, PERIOD, False))

    def outer(s, world):
        return cache.cached(s, "test.outer", (), refresh=lambda s2: 10 * inner(s2)[
            world.agencies["330102"].id].values["cases_filed"])

    return inner, outer


def test_a_background_refresh_reads_the_figures_it_needs_fresh(engine, db, world, monkeypatch):
    """After a write both figures are outdated: the outer one's refresh must not build on the inner
    one as served stale (it would then be kept as current with the figures from before the write)."""
    from greensword.core import cache

    inner, outer = _nested(monkeypatch)
    _file_case(db, world, date(2026, 3, 2))
    db.commit()
    s = session_factory(engine)()
    assert outer(s, world) == 10
    s.close()
    _file_case(db, world, date(2026, 3, 3))
    db.commit()
    s = session_factory(engine)()
    assert outer(s, world) == 10 and cache.stale_since(s) is not None
    s.close()
    assert cache.wait_refreshed(60)
    s = session_factory(engine)()
    assert outer(s, world) == 20 and cache.stale_since(s) is None
    s.close()


def test_a_figure_computed_from_stale_figures_is_not_kept_as_current(engine, db, world, monkeypatch):
    """A request that computes the outer figure while the inner one is served stale shows it
    (marked stale) and does not keep it as the current figure: the next request gets it marked
    stale too, and once recomputed it is current."""
    from greensword.core import cache

    inner, outer = _nested(monkeypatch)
    _file_case(db, world, date(2026, 3, 2))
    db.commit()
    s = session_factory(engine)()
    inner(s)                                                        # only the inner figure is kept
    s.close()
    _file_case(db, world, date(2026, 3, 3))
    db.commit()
    s = session_factory(engine)()
    assert outer(s, world) == 10 and cache.stale_since(s) is not None
    s.close()
    assert cache.wait_refreshed(60)                                 # the inner figure is current again …
    s = session_factory(engine)()
    assert outer(s, world) == 10 and cache.stale_since(s) is not None   # … the outer one still marked stale
    s.close()
    assert cache.wait_refreshed(60)
    s = session_factory(engine)()
    assert outer(s, world) == 20 and cache.stale_since(s) is None
    s.close()


@pytest.mark.db
def test_a_report_computes_its_periods_side_by_side_with_the_same_figures(engine, db, world, monkeypatch):
    """The statistics report's three periods (this one, 同比, 环比) are computed concurrently, each
    on its own session, and the report reads them from the cache: the same report as computed one
    by one; a writing transaction computes its own, in the request."""
    import threading

    from greensword.core import cache

    _file_case(db, world, date(2026, 3, 2))
    _file_case(db, world, date(2025, 3, 5))
    db.commit()
    where = []
    real = statistics._compute
    monkeypatch.setattr(statistics, "_compute", lambda *a: where.append(threading.current_thread().name) or real(*a))
    province = world.agencies["330000"]
    s = session_factory(engine)()
    together = statistics.report(s, province, PERIOD)
    s.close()
    assert len(where) == 3 and all(n.startswith("cache-prefetch") for n in where)
    assert together["unit"]["cases_filed"] == 1 and together["unit"]["last_year"]["cases_filed"] == 1
    cache.clear()
    where.clear()
    monkeypatch.setattr(cache, "prefetch", lambda *a, **k: 0)
    s = session_factory(engine)()
    assert statistics.report(s, province, PERIOD) == together
    s.close()
    assert len(where) == 3 and not any(n.startswith("cache-prefetch") for n in where)
    monkeypatch.undo()
    monkeypatch.setattr(statistics, "_compute", lambda *a: where.append(threading.current_thread().name) or real(*a))
    cache.clear()
    where.clear()
    _file_case(db, world, date(2026, 3, 4))                          # not committed: this transaction writes
    assert statistics.report(db, province, PERIOD)["unit"]["cases_filed"] == 2
    assert len(where) == 3 and not any(n.startswith("cache-prefetch") for n in where)
    db.rollback()
