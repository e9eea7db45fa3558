"""Kill the gateway process (SIGKILL) under simulated load: every acknowledged packet must be in
the lake after a restart, none twice."""

import os
import signal
import socket
import subprocess
import sys
import time

import duckdb
import pytest

from greensword.hj212 import lake
from greensword.hj212.simulate import SimConfig, SimDevice, run_simulation

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env, *args, **kw):
    return subprocess.run([sys.executable, "-m", "greensword.cli", *args], env=env, capture_output=True,
                          text=True, **kw)


def _start(env, port):
    proc = subprocess.Popen([sys.executable, "-m", "greensword.cli", "gateway", "--port", str(port),
                             "--compact-interval", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(proc.stdout.read().decode())


def test_sigkill_under_load_loses_no_acknowledged_packet(tmp_path):
    env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))
    assert _cli(env, "db", "upgrade").returncode == 0
    assert _cli(env, "demo", "--scale", "small", "--seed", "3").returncode == 0
    from sqlalchemy import create_engine, text

    eng = create_engine(f"sqlite:///{tmp_path / 'var' / 'greensword.db'}")
    with eng.connect() as c:
        points = c.execute(text("select mn, pw from monitoring_point where active")).fetchall()
    eng.dispose()
    devices = [SimDevice(mn, pw) for mn, pw in points][:10]
    port = _free_port()
    proc = _start(env, port)

    import threading

    killer = threading.Timer(2.0, lambda: proc.send_signal(signal.SIGKILL))
    killer.start()
    report = run_simulation(SimConfig(port=port, seconds=4.0, window=16, drain_s=1.0), devices)
    killer.join()
    proc.wait(10)
    assert report.acked > 500, report.summary()
    assert report.sent > report.acked   # the kill cut the load off with packets in flight

    # restart: recovery truncates any torn tail, then a clean stop compacts everything
    proc = _start(env, port)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0

    root = tmp_path / "var" / "lake"
    con = duckdb.connect()
    stored = set()
    dupes = 0
    for kind in ("rtd", "minute", "hour", "day"):
        if not list(root.glob(f"{kind}/date=*/*.parquet")):
            continue
        src = f"read_parquet('{lake.glob(root, kind)}')"
        stored |= set(con.execute(f"select distinct mn, qn from {src}").fetchall())
        # rows from the gateway carry a QN (the demo's generated history does not)
        dupes += con.execute(f"select count(*) from (select mn, qn, factor, count(*) n from {src} "
                             f"where qn is not null group by all having n > 1)").fetchone()[0]
    missing = set(report.acked_keys) - stored
    assert not missing, f"{len(missing)} acknowledged packets lost, e.g. {sorted(missing)[:3]}"
    assert dupes == 0
