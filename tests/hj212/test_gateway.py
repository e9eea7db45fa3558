import json
import random
import socket
import time

import duckdb

from greensword.hj212 import lake
from greensword.hj212.codec import build, parse


def _packet(world, key="330102-gas", i=0, *, pw=None, flag=5, mn=None):
    p = world.points[key]
    qn = f"20260105100000{i % 1000:03d}" if i < 1000 else f"2026010510{i // 1000 % 60:02d}00{i % 1000:03d}"
    return build(st="31", cn="2011", pw=pw or p.pw, mn=mn or p.mn, qn=qn, flag=flag,
                 cp={"DataTime": f"202601051000{i % 60:02d}", "a21026-Rtd": 30 + i % 7, "a21026-Flag": "N"})


def _conn(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def _read_replies(s, n, timeout=10):
    s.settimeout(timeout)
    buf = b""
    while buf.count(b"\r\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return [parse(line + b"\r\n") for line in buf.split(b"\r\n") if line]


def _lake_rows(root):
    con = duckdb.connect()
    rows = []
    for kind in ("rtd", "minute", "hour", "day"):
        if list(root.glob(f"{kind}/date=*/*.parquet")):
            rows += con.execute(f"select mn, qn, factor, kind, data_time from read_parquet('{lake.glob(root, kind)}')"
                                ).fetchall()
    return rows


def test_several_per_read_split_reads_and_garbage_all_acked(gateway, world, tmp_path):
    s = _conn(gateway.port)
    frames = [_packet(world, i=i) for i in range(6)]
    s.sendall(frames[0] + frames[1] + b"\x00\xffjunk#" + frames[2])        # several in one read, garbage
    blob = frames[3] + frames[4]
    for k in range(0, len(blob), 7):                                       # split across many reads
        s.sendall(blob[k:k + 7])
        time.sleep(0.001)
    s.sendall(b"##00garbage\r\n" + frames[5])                              # a broken frame, then a good one
    replies = _read_replies(s, 6)
    acks = [r for r in replies if r.cn == "9014"]
    assert [a.qn for a in acks] == [parse(f).qn for f in frames]
    assert gateway.gw.counters["garbage_bytes"] >= 7
    gateway.stop()
    assert len(_lake_rows(tmp_path / "lake")) == 6


def test_bad_credentials_and_crc_answered_quarantined_and_connection_survives(gateway, world, tmp_path):
    s = _conn(gateway.port)
    good = _packet(world, i=1)
    bad_pw = _packet(world, i=2, pw="wrong!")
    unknown = _packet(world, i=3, mn="NOSUCHDEVICE0000000000001")
    bad_crc = bytearray(_packet(world, i=4))
    bad_crc[-6:-2] = b"0000" if bad_crc[-6:-2] != b"0000" else b"1111"
    s.sendall(bad_pw + unknown + bytes(bad_crc) + good)
    replies = _read_replies(s, 4)
    rtn = {r.qn: (r.cn, r.cp.get("QnRtn")) for r in replies}
    assert rtn[parse(bad_pw).qn] == ("9011", "3")
    assert rtn[parse(unknown).qn] == ("9011", "3")           # same answer as a wrong password
    assert rtn["20260105100000004"] == ("9011", "9")
    assert rtn[parse(good).qn] == ("9014", None)
    c = gateway.gw.counters
    assert (c["rejected.bad_pw"], c["rejected.unknown_mn"], c["rejected.bad_crc"], c["accepted"]) == (1, 1, 1, 1)
    gateway.stop()
    q = [json.loads(line) for f in (tmp_path / "gw" / "quarantine").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert sorted(e["code"] for e in q) == ["bad_crc", "bad_pw", "unknown_mn"]
    assert all(e["raw_b64"] for e in q)
    assert len(_lake_rows(tmp_path / "lake")) == 1


def test_resend_of_same_mn_qn_stored_once_but_acked_again(gateway, world, tmp_path):
    s = _conn(gateway.port)
    f = _packet(world, i=9)
    s.sendall(f + f)
    replies = _read_replies(s, 2)
    assert [r.cn for r in replies] == ["9014", "9014"]
    s.sendall(f)
    assert _read_replies(s, 1)[0].cn == "9014"
    gateway.stop()
    assert len(_lake_rows(tmp_path / "lake")) == 1
    assert gateway.gw.counters["duplicate"] == 2


def test_oversized_frame_rejected_then_stream_resyncs(gateway, world):
    s = _conn(gateway.port)
    s.sendall(b"##1100" + b"A" * 3000 + _packet(world, i=11))
    replies = _read_replies(s, 1)
    assert replies[0].cn == "9014"
    assert gateway.gw.counters["rejected.too_long"] + gateway.gw.counters["quarantined"] >= 1


def test_fuzz_ten_thousand_malformed_frames_while_others_are_acked(gateway, world):
    rng = random.Random(2026)
    good = [_packet(world, "330106-gas", i=i) for i in range(200)]
    templates = [_packet(world, i=i) for i in range(50)]
    attacker = _conn(gateway.port)
    device = _conn(gateway.port)
    sent = 0
    acked = 0
    for batch in range(20):
        junk = []
        for _ in range(500):
            b = bytearray(rng.choice(templates))
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            if rng.random() < 0.2:
                b = b[:rng.randrange(len(b))]
            junk.append(bytes(b))
            sent += 1
        attacker.sendall(b"".join(junk))
        device.sendall(b"".join(good[batch * 10:(batch + 1) * 10]))
        acked += sum(1 for r in _read_replies(device, 10) if r.cn == "9014")
    assert sent >= 10_000
    assert acked == 200
    # the attacking connection is still served too
    attacker.sendall(b"\r\n" + _packet(world, "330203-gas", i=5))
    deadline = time.time() + 10
    while time.time() < deadline and gateway.gw.counters["accepted"] < 201:
        time.sleep(0.05)
    assert gateway.gw.counters["accepted"] >= 201
