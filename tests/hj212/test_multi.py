"""Multi-process gateway: workers' logs compacted by one process from the parsed packets they
logged, a packet re-sent to another worker stored once, kill -9 of workers and the compactor
under load loses no acknowledged packet and stores none twice."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from greensword.hj212 import compact as compact_mod
from greensword.hj212 import lake
from greensword.hj212.codec import build, parse
from greensword.hj212.compact import Compactor
from greensword.hj212.intake import Directory
from greensword.hj212.multi import compact_all
from greensword.hj212.packing import pack, unpack
from greensword.hj212.simulate import SimConfig, SimDevice, run_simulation
from greensword.hj212.wal import Record, SegmentLog, encode, read_segment


def _frame(mn: str, i: int, cp_extra: str = "") -> bytes:
    return build(st="31", cn="2011", pw="pw", mn=mn, qn=f"20260105100000{i:03d}", flag=5,
                 cp={"DataTime": f"202601051000{i % 60:02d}", "a21026-Rtd": 30 + i, "a21026-Flag": "N"})


def _rows(root: Path):
    con = duckdb.connect()
    out = []
    for kind in ("rtd", "minute", "hour", "day"):
        if list(root.glob(f"{kind}/date=*/*.parquet")):
            out += con.execute(f"select mn, qn, factor from read_parquet('{lake.glob(root, kind)}') "
                               f"where qn is not null").fetchall()
    return out


def test_packed_packet_round_trips_quirks_and_repeats():
    raw = (b"QN=20240616064310;ST=31;CN=2011;PW=1;MN=M1;Flag=5;CP=&&DataTime=20240615145547;"
           b"w00000-Avg=1,w00000-Avg=2&&")
    from greensword.hj212.codec import frame

    p = parse(frame(raw), tolerant=True)
    q = unpack(pack(p))
    assert q == p and q.repeats == (("w00000-Avg", "2"),) and q.quirks == p.quirks


def test_compactor_uses_logged_packets_and_stores_a_resend_to_another_worker_once(tmp_path, monkeypatch):
    root, lake_root = tmp_path / "gw", tmp_path / "lake"
    frames = [_frame("MNA", i) for i in range(5)]
    for w, picks in (("w0", [0, 1, 2]), ("w1", [2, 3, 4, 0])):       # 0 and 2 re-sent to the other worker
        log = SegmentLog(root / w / "wal", fsync=False)
        log.append_batch([encode(Record(1, "peer", frames[i], pack(parse(frames[i])))) for i in picks])
        log.rotate()
        log.seal(force=True)
        log.rotate()                                              # a newer (empty) segment: the old one is sealed
        log.close()
    # no re-parse: the codec is not called for records that carry their parsed packet
    monkeypatch.setattr(compact_mod, "parse", lambda *a, **k: (_ for _ in ()).throw(AssertionError("re-parse")))
    c = Compactor(None, lake_root, Directory(), seen=set())
    assert compact_all(root, c) == 2
    rows = _rows(lake_root)
    assert sorted(r[1] for r in rows) == sorted(parse(f).qn for f in frames)
    # the newest segments (possibly still written) were left alone; a final pass takes them too
    assert all(len(list((root / w / "wal").glob("*.log"))) == 1 for w in ("w0", "w1"))
    assert compact_all(root, c, final=True) == 2
    assert len(_rows(lake_root)) == 5


def test_record_without_parsed_part_is_reparsed(tmp_path):
    log = SegmentLog(tmp_path / "wal", fsync=False)
    f = _frame("MNB", 1)
    log.append_batch([encode(Record(1, "p", f)), encode(Record(2, "p", f + b"", pack(parse(f))))])
    log.close()
    recs, _ = read_segment(next((tmp_path / "wal").glob("*.log")))
    assert recs[0].parsed is None and recs[1].parsed is not None and recs[0].frame == recs[1].frame == f


# --- kill -9 with several processes -----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().split(")")[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _start(tmp_path, port, devices):
    env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp_path / "var"))
    proc = subprocess.Popen([sys.executable, "-m", "greensword.cli", "gateway", "--port", str(port), "--workers", "2",
                             "--devices", str(devices), "--compact-interval", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if len(_children(proc.pid)) >= 3:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                time.sleep(0.5)
                return proc
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("multi-process gateway did not start")


@pytest.mark.slow
def test_sigkill_of_workers_and_compactor_loses_nothing_acknowledged(tmp_path):
    devices = [SimDevice(f"MULTI{i:019d}", f"pw{i}") for i in range(12)]
    csv = tmp_path / "devices.csv"
    csv.write_text("mn,pw\n" + "".join(f"{d.mn},{d.pw}\n" for d in devices))
    port = _free_port()
    proc = _start(tmp_path, port, csv)
    kids = _children(proc.pid)

    def kill_some():
        for pid in kids[:2]:                      # a worker and the next child (worker or compactor)
            os.kill(pid, signal.SIGKILL)

    killer = threading.Timer(2.0, kill_some)
    killer.start()
    report = run_simulation(SimConfig(port=port, seconds=5.0, window=16, drain_s=2.0), devices)
    killer.join()
    assert report.acked > 200, report.summary()

    # the same packets re-sent on several connections (spread over the workers): stored once
    resend = [build(st="31", cn="2011", pw=devices[0].pw, mn=devices[0].mn, qn="20260105120000123", flag=5,
                    cp={"DataTime": "20260105120000", "a21026-Rtd": 1, "a21026-Flag": "N"})]
    deadline = time.time() + 60                   # killed processes are back (restarted by the supervisor)
    while len(_children(proc.pid)) < 3 and time.time() < deadline:
        time.sleep(0.2)
    for _ in range(6):
        for _attempt in range(100):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except ConnectionRefusedError:
                time.sleep(0.2)
        s.sendall(resend[0])
        assert b"CN=9014" in s.recv(4096)
        s.close()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(180) == 0

    rows = _rows(tmp_path / "var" / "lake")
    stored = {(mn, qn) for mn, qn, _ in rows}
    missing = set(report.acked_keys) - stored
    assert not missing, f"{len(missing)} acknowledged packets lost, e.g. {sorted(missing)[:3]}"
    per = {}
    for r in rows:
        per[r] = per.get(r, 0) + 1
    assert max(per.values()) == 1, "a packet stored twice"
    assert (devices[0].mn, "20260105120000123") in stored
