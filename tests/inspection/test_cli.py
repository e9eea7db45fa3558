import os
import sqlite3
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def cli(env, *args):
    return subprocess.run([sys.executable, "-m", "greensword.cli", *args], env=env, capture_output=True, text=True)


def test_verify_all_passes_on_demo_and_fails_when_an_input_changes(tmp_path):
    env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))
    assert cli(env, "db", "upgrade").returncode == 0
    assert cli(env, "demo", "--scale", "small", "--seed", "9").returncode == 0
    r = cli(env, "inspect", "draw", "verify", "--all")
    assert r.returncode == 0 and "0 个不一致" in r.stdout, r.stdout + r.stderr
    con = sqlite3.connect(tmp_path / "var" / "greensword.db")
    plan_id, seed = con.execute("select id, seed from inspection_plan order by id limit 1").fetchone()
    con.execute("update inspection_plan set seed = ? where id = ?", (seed + "x", plan_id))
    con.commit()
    con.close()
    r = cli(env, "inspect", "draw", "verify", "--all")
    assert r.returncode == 1 and f"计划 {plan_id}" in r.stderr
    r = cli(env, "inspect", "draw", "verify", str(plan_id + 1))
    assert r.returncode == 0 and "复算一致" in r.stdout
    out = tmp_path / "pub.csv"
    assert cli(env, "inspect", "publish", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8-sig").startswith("企业名称")
