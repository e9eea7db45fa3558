"""HJ 212 benchmark: parser packets/s on one core, and the gateway end to end (acknowledged =
durably stored, fsync'ed) with the device simulator on the same machine at 100, 1,000 and
5,000 connections: packets/s, p50/p99 ack latency, the gateway's peak memory.

    .venv/bin/python benchmarks/hj212.py [--seconds 10] [--connections 100,1000,5000]
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


def parser_rate(n: int = 60_000) -> None:
    rng = random.Random(1)
    frames = []
    for i in range(200):
        dev = SimDevice(f"BENCH{i:019d}", "123456", "31" if i % 2 else "32", list(GAS if i % 2 else WATER))
        src = _Source(dev, rng, datetime(2026, 1, 5))
        frames += [src.next()[1] for _ in range(20)]
    sizes = sorted(len(f) for f in frames)
    reps = max(1, n // len(frames))
    t = time.perf_counter()
    for _ in range(reps):
        for f in frames:
            parse(f)
    dt = time.perf_counter() - t
    print(f"parser: {reps * len(frames) / dt:,.0f} packets/s on one core "
          f"(mix of real-time/minute/hour/day gas and water packets, {sizes[0]}–{sizes[-1]} bytes, "
          f"median {sizes[len(sizes) // 2]})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def gateway_rate(conns: int, seconds: float, window: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        devices = [SimDevice(f"BENCH{i:019d}", "123456", "31", list(GAS)) for i in range(conns)]
        (tmp / "devices.csv").write_text("mn,pw\n" + "".join(f"{d.mn},{d.pw}\n" for d in devices))
        port = _free_port()
        env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp / "var"))
        proc = subprocess.Popen([sys.executable, "-m", "greensword.cli", "gateway", "--port", str(port),
                                 "--devices", str(tmp / "devices.csv"), "--compact-interval", "5"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            r = run_simulation(SimConfig(port=port, seconds=seconds, window=window, drain_s=5), devices)
            peak = _peak_kib(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(120)
        print(f"gateway {conns:>5} connections: {r.rate:,.0f} packets/s acknowledged after fsync "
              f"({r.acked:,} of {r.sent:,} in {r.elapsed:.1f} s), ack latency p50 {r.pct(.5) * 1000:.1f} ms "
              f"p99 {r.pct(.99) * 1000:.1f} ms, gateway peak RSS {peak / 1024:.0f} MiB, errors {r.errors}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", default="100,1000,5000")
    ap.add_argument("--window", type=int, default=8)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    parser_rate()
    for n in (int(x) for x in args.connections.split(",")):
        gateway_rate(n, args.seconds, args.window)


if __name__ == "__main__":
    main()
