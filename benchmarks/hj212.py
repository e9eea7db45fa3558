"""HJ 212 benchmark: parser packets/s on one core (CPU time, so other load on the machine does not
count), ``greensword hj212 parse`` against a naive 50-line parser on the same file in the same run, and the gateway end to end (acknowledged =
durably stored, fsync'ed) with the device simulator on the same machine at 100, 1,000 and
5,000 connections: packets/s, p50/p99 ack latency, the gateway's peak memory.

    .venv/bin/python benchmarks/hj212.py [--seconds 10] [--connections 100,1000,5000] [--parse-packets 50000]
"""

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from greensword.hj212.codec import parse
from greensword.hj212.simulate import GAS, WATER, SimConfig, SimDevice, _Source, run_simulation

NAIVE = r'''
import json, sys
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    T.append(c)
def crc(data):
    c = 0xFFFF
    for b in data:
        c = T[(c >> 8) ^ b]
    return c
out = sys.stdout
for line in open(sys.argv[1], "rb"):
    line = line.rstrip(b"\r\n")
    if not line.startswith(b"##") or len(line) < 10:
        out.write(json.dumps({"ok": False}) + "\n")
        continue
    data, want = line[6:-4], line[-4:]
    if int(line[2:6]) != len(data) or "%04X" % crc(data) != want.decode().upper():
        out.write(json.dumps({"ok": False}) + "\n")
        continue
    text = data.decode()
    head, _, cp = text.partition(";CP=&&")
    packet = dict(item.split("=", 1) for item in head.split(";"))
    packet["cp"] = {}
    for group in cp[:-2].split(";"):
        for item in group.split(","):
            if item:
                k, _, v = item.partition("=")
                packet["cp"][k] = v
    out.write(json.dumps({"ok": True, "packet": packet}, ensure_ascii=False) + "\n")
'''


def _frames(devices: int, per_device: int) -> list[bytes]:
    rng = random.Random(1)
    frames = []
    for i in range(devices):
        dev = SimDevice(f"BENCH{i:019d}", "123456", "31" if i % 2 else "32", list(GAS if i % 2 else WATER))
        src = _Source(dev, rng, datetime(2026, 1, 5))
        frames += [src.next()[1] for _ in range(per_device)]
    return frames


def _child_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def parse_cli_vs_naive(n: int) -> None:
    """Both read the same file and write JSON lines to a file; wall and CPU time of each child."""
    frames = _frames(max(1, n // 250), 250)[:n]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "packets.txt"
        src.write_bytes(b"".join(frames))
        (Path(tmp) / "naive.py").write_text(NAIVE)
        runs = {"naive 50-line parser (split, CRC, json.dumps)": [sys.executable, str(Path(tmp) / "naive.py"), str(src)],
                "greensword hj212 parse": [sys.executable, "-m", "greensword", "hj212", "parse", str(src)]}
        figures = {}
        for name, cmd in runs.items():
            c0, t0 = _child_cpu(), time.perf_counter()
            with open(Path(tmp) / "out.jsonl", "wb") as out:
                subprocess.run(cmd, stdout=out, check=True)
            wall, cpu = time.perf_counter() - t0, _child_cpu() - c0
            lines = sum(1 for _ in open(Path(tmp) / "out.jsonl", "rb"))
            assert lines == len(frames), (name, lines)
            figures[name] = (len(frames) / wall, len(frames) / cpu)
            print(f"{name}: {len(frames) / wall:,.0f} packets/s wall, {len(frames) / cpu:,.0f} packets/s CPU "
                  f"({len(frames):,} packets, {src.stat().st_size / 1e6:.1f} MB, process start included)")
        (nw, nc), (gw, gc) = figures.values()
        print(f"hj212 parse / naive: {gw / nw:.2f}x wall, {gc / nc:.2f}x CPU")


def parser_rate(n: int = 60_000) -> None:
    from collections import Counter

    from greensword.hj212 import codec
    from greensword.hj212.crc import HAVE_C

    frames = _frames(200, 20)
    sizes = sorted(len(f) for f in frames)
    mix = Counter(parse(f).cn for f in frames)
    reps = max(1, n // len(frames))
    c_scan = codec._c
    for label, c in (("C fast path", c_scan), ("pure Python (no C extension)", None)):
        if label.startswith("C") and c is None:
            continue
        codec._c = c
        try:
            t, cpu = time.perf_counter(), time.process_time()
            for _ in range(reps if c is not None else max(1, reps // 3)):
                for f in frames:
                    parse(f)
            dt, dc = time.perf_counter() - t, time.process_time() - cpu
        finally:
            codec._c = c_scan
        done = (reps if c is not None else max(1, reps // 3)) * len(frames)
        print(f"codec, {label}: {done / dc:,.0f} packets/s per core (CPU time; {done / dt:,.0f}/s wall) "
              f"on {len(frames)} packets of 100 gas (5 factors) and 100 water (5 factors) devices, "
              f"CN mix {dict(mix)}, {sizes[0]}–{sizes[-1]} bytes, median {sizes[len(sizes) // 2]}; "
              f"C CRC {'on' if HAVE_C else 'off'}")


def _rules_override(data_dir: Path) -> None:
    """Every simulated device connects from 127.0.0.1 (or from the balancer): lift the
    per-address connection cap for the measurement, through the operator's rules override."""
    from importlib import resources

    src = resources.files("greensword") / "rules" / "hj212" / "security.yaml"
    dst = Path(data_dir) / "rules" / "hj212" / "security.yaml"
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(src.read_text(encoding="utf-8").replace("max_connections_per_address: 64",
                                                            "max_connections_per_address: 1000000"), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _tree_pids(pid: int) -> list[int]:
    pids = [pid]
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().split(")")[1].split()[1]) == pid:
                    pids.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def _tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the gateway and its child processes."""
    total = 0
    for p in _tree_pids(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().split(")")[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _tree_rss_kib(pid: int) -> int:
    """Current RSS of a process and its children (the multi-process gateway)."""
    total = 0
    for p in _tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def gateway_rate(conns: int, seconds: float, window: int, workers: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        devices = [SimDevice(f"BENCH{i:019d}", "123456", "31", list(GAS)) for i in range(conns)]
        (tmp / "devices.csv").write_text("mn,pw\n" + "".join(f"{d.mn},{d.pw}\n" for d in devices))
        port = _free_port()
        env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp / "var"))
        _rules_override(tmp / "var")
        proc = subprocess.Popen([sys.executable, "-m", "greensword.cli", "gateway", "--port", str(port),
                                 "--devices", str(tmp / "devices.csv"), "--compact-interval", "5",
                                 "--workers", str(workers)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            import resource

            time.sleep(1.0 if workers > 1 else 0)          # every worker listening
            at_start: dict = {}

            def started() -> None:                          # all devices connected: the clock starts
                at_start["sim"] = resource.getrusage(resource.RUSAGE_SELF)
                at_start["gw"] = _tree_cpu_s(proc.pid)

            r = run_simulation(SimConfig(port=port, seconds=seconds, window=window, drain_s=5, on_start=started),
                               devices)
            c0, c1 = at_start["sim"], resource.getrusage(resource.RUSAGE_SELF)
            gw_cpu = _tree_cpu_s(proc.pid) - at_start["gw"]
            sim_cpu = (c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime) / r.elapsed
            peak = _peak_kib(proc.pid) if workers == 1 else _tree_rss_kib(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
        print(f"gateway x{workers} {conns:>5} connections: {r.rate:,.0f} packets/s acknowledged after fsync "
              f"({r.acked:,} of {r.sent:,} in {r.elapsed:.1f} s), ack latency p50 {r.pct(.5) * 1000:.1f} ms "
              f"p99 {r.pct(.99) * 1000:.1f} ms, gateway {'peak' if workers == 1 else 'all processes'} RSS "
              f"{peak / 1024:.0f} MiB, simulator CPU {sim_cpu:.2f} cores, gateway CPU {gw_cpu:.1f} s = "
              f"{r.acked / max(gw_cpu, 1e-9):,.0f} acked packets per CPU-second, errors {r.errors} "
              f"(connecting took {r.connect_s:.1f} s before the clock started; load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", default="100,1000,5000")
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--parse-packets", type=int, default=50_000)
    ap.add_argument("--workers", default="1,2", help="gateway process counts to measure")
    ap.add_argument("--skip-parse", action="store_true")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_parse:
        parser_rate()
        parse_cli_vs_naive(args.parse_packets)
    for w in (int(x) for x in args.workers.split(",") if x):
        for n in (int(x) for x in args.connections.split(",") if x):
            gateway_rate(n, args.seconds, args.window, w)


if __name__ == "__main__":
    main()
