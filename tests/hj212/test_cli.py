import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
VECTORS = [json.loads(line) for line in (DATA / "hj212_vectors.jsonl").read_text().splitlines()]


def cli(*args, env=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "greensword", *args], capture_output=True,
                          env=env or os.environ, input=stdin)


def test_parse_prints_one_json_per_line_in_order(tmp_path):
    f = tmp_path / "packets.txt"
    f.write_bytes(b"".join(v["raw"].encode() + (b"" if v["raw"].endswith("\n") else b"\n") for v in VECTORS))
    r = cli("hj212", "parse", str(f))
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(out) == len(VECTORS)
    for v, o in zip(VECTORS, out, strict=True):
        if v["expect"] == "ok":
            assert o["ok"], (v["id"], o)
            p = o["packet"]
            assert set(p) >= {"qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "cp"}
            assert p["mn"] == v["fields"]["mn"]
            if "DataTime" in p["cp"]:
                assert p["cp"]["DataTime"].endswith("+08:00")
        else:
            assert o == {"ok": False, "error": {"code": v["expect"], "message": o["error"]["message"]}}, v["id"]
    gas = out[0]["packet"]["cp"]
    assert gas["a21026"] == {"Rtd": 29.09, "ZsRtd": 33.83, "Flag": "N"}


def test_parse_stdin_tolerant_names_quirks():
    cap = [json.loads(line) for line in (DATA / "captures.jsonl").read_text().splitlines()]
    raw = next(c for c in cap if c["id"] == "rabbitmq_water_flag6")["raw"].encode()
    strict = json.loads(cli("hj212", "parse", "-", stdin=raw).stdout)
    assert strict["ok"] is False and strict["error"]["code"] == "bad_header"
    tolerant = json.loads(cli("hj212", "parse", "--tolerant", stdin=raw).stdout)
    assert tolerant["ok"] and sorted(tolerant["packet"]["quirks"]) == ["subpacket_flag_without_pnum",
                                                                       "trailing_separator"]


@pytest.mark.slow
def test_import_goes_through_gateway_checks_and_is_idempotent(tmp_path):
    from greensword.hj212.codec import build

    env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))
    assert cli("db", "upgrade", env=env).returncode == 0
    assert cli("demo", "--scale", "small", "--seed", "4", env=env).returncode == 0
    from sqlalchemy import create_engine, text

    eng = create_engine(f"sqlite:///{tmp_path / 'var' / 'greensword.db'}")
    with eng.connect() as c:
        mn, pw = c.execute(text("select mn, pw from monitoring_point order by mn limit 1")).one()
    eng.dispose()
    lines = [build(st="31", cn="2061", pw=pw, mn=mn, qn=f"20260105{h:02d}0000000", flag=4,
                   cp={"DataTime": f"20260105{h:02d}0000", "a21026-Avg": 20 + h, "a21026-Flag": "N"})
             for h in range(5)]
    lines.append(build(st="31", cn="2061", pw="bad", mn=mn, qn="20260105070000000", flag=4,
                       cp={"DataTime": "20260105070000", "a21026-Avg": 1}))
    lines.append(b"##0010garbage!!\r\n")
    f = tmp_path / "dump.txt"
    f.write_bytes(b"".join(lines))
    r = cli("hj212", "import", str(f), env=env)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "合计：接收 5，重复 0，拒收 2" in out and "第 6 行 [bad_pw]" in out and "bad_length" in out
    again = cli("hj212", "import", str(f), env=env).stdout.decode()
    assert "合计：接收 0，重复 5，拒收 2" in again
    import duckdb

    n = duckdb.connect().execute(
        f"select count(*) from read_parquet('{tmp_path}/var/lake/hour/date=2026-01-05/*.parquet')"   # not the demo's
        f" where mn = '{mn}'").fetchone()[0]
    assert n == 5
