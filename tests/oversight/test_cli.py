import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def cli(env, *args):
    return subprocess.run([sys.executable, "-m", "greensword.cli", *args], env=env, capture_output=True, text=True)


def test_demo_then_stats_of_the_three_flows(tmp_path):
    env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))
    assert cli(env, "db", "upgrade").returncode == 0
    r = cli(env, "demo", "--scale", "small", "--seed", "5", "--today", "2026-11-01")
    assert r.returncode == 0, r.stderr
    year = "2026"
    r = cli(env, "complaint", "stats", "--year", year)
    assert r.returncode == 0 and "收件" in r.stdout, r.stderr
    r = cli(env, "transfer", "stats", "--year", year)
    assert r.returncode == 0, r.stderr
    r = cli(env, "oversight", "stats", "--year", year)
    assert r.returncode == 0 and "已销号" in r.stdout, r.stderr
    r = cli(env, "oversight", "escalate")
    assert r.returncode == 0 and "提级督办" in r.stdout, r.stderr
    r = cli(env, "audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
