"""core.ratelimit: one sliding-window limiter counted in the database, so the limit holds across
worker processes (the old in-process windows let every worker allow the full limit)."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from greensword.core import ratelimit
from greensword.core.models import RateLimitHit

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_window_slides_per_key(engine):
    t = 1_000.0
    assert [ratelimit.hit(engine, "x", "a", limit=3, window_s=60, now=t + i) for i in range(3)] == [0, 0, 0]
    wait = ratelimit.hit(engine, "x", "a", limit=3, window_s=60, now=t + 10)
    assert wait == pytest.approx(50)                       # the first hit leaves the window at t+60
    assert ratelimit.hit(engine, "x", "b", limit=3, window_s=60, now=t + 10) == 0       # another client
    assert ratelimit.hit(engine, "y", "a", limit=3, window_s=60, now=t + 10) == 0       # another limit
    assert ratelimit.hit(engine, "x", "a", limit=3, window_s=60, now=t + 59.9) > 0      # refusals not counted
    assert ratelimit.hit(engine, "x", "a", limit=3, window_s=60, now=t + 60) == 0
    assert ratelimit.hit(engine, "x", "a", limit=3, window_s=60, now=t + 60.5) > 0      # t+1, t+2, t+60 count


def test_expired_hits_of_vanished_clients_are_swept(engine, monkeypatch):
    monkeypatch.setattr(ratelimit, "_last_sweep", 0.0)
    for i in range(50):
        ratelimit.hit(engine, "x", f"client-{i}", limit=5, window_s=60, now=10_000.0)
    ratelimit.hit(engine, "x", "late", limit=5, window_s=60, now=20_000.0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RateLimitHit)).scalar_one() == 1


SCRIPT = textwrap.dedent("""
    import sys, time
    from greensword.core.db import make_engine
    from greensword.core import ratelimit
    engine = make_engine(sys.argv[1])
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.005)
    allowed = sum(ratelimit.hit(engine, "shared", "9.9.9.9", limit=6, window_s=600) == 0 for _ in range(6))
    print(allowed)
""")


@pytest.mark.db
def test_limit_holds_across_worker_processes(engine):
    """Three processes (as three uvicorn workers would) each try the whole limit at the same
    moment: together they get exactly the limit, not three times it."""
    import time

    url = engine.url.render_as_string(hide_password=False)
    start = str(time.time() + 3.0)
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, url, start], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    allowed = [int(o[0]) for o in outs]
    assert sum(allowed) == 6, allowed
