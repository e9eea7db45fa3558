"""Loopback check of several gateway hosts behind one address (docs/gateway-scale.md):
two multi-process gateways ("hosts" A and B, own data dirs and logs, one shared lake) behind
HAProxy in TCP mode, the device simulator against HAProxy's port, then the shared lake read
with DuckDB (and with Spark when ``--spark``). Prints acked packets, rows per host, duplicates.

    .venv/bin/python benchmarks/hj212_haproxy.py [--seconds 5] [--connections 200] [--spark]

Needs the ``haproxy`` Debian package (apt-get install haproxy); exits 0 with a note without it.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from greensword.hj212 import lake
from greensword.hj212.simulate import SimConfig, SimDevice, run_simulation

HAPROXY_CFG = """
global
    maxconn 8000
defaults
    mode tcp
    timeout connect 5s
    timeout client 400s
    timeout server 400s
frontend hj212
    bind 127.0.0.1:{front}
    default_backend gateways
backend gateways
    # production: "balance source" (a reconnecting device reaches the same host, whose compactor
    # recognises its re-sends). On loopback every device has the same address, so the check
    # spreads connections round-robin to exercise both hosts.
    balance {balance}
    server a 127.0.0.1:{a} send-proxy-v2 check check-send-proxy
    server b 127.0.0.1:{b} send-proxy-v2 check check-send-proxy
"""


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


def _wait(port: int, what: str) -> None:
    for _ in range(900):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} (port {port}) did not open")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--spark", action="store_true")
    ap.add_argument("--balance", default="roundrobin", help="HAProxy balance algorithm (production: source)")
    args = ap.parse_args()
    if not shutil.which("haproxy"):
        print("haproxy not installed (apt-get install haproxy): skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        devices = [SimDevice(f"LB{i:022d}", f"pw{i:010d}") for i in range(args.connections)]
        (tmp / "devices.csv").write_text("mn,pw\n" + "".join(f"{d.mn},{d.pw}\n" for d in devices))
        shared_lake = tmp / "lake"
        ports = {"A": _free_port(), "B": _free_port()}
        procs = []
        for host, port in ports.items():
            env = dict(os.environ, GREENSWORD_DATA_DIR=str(tmp / host), GREENSWORD_LAKE_DIR=str(shared_lake),
                       GREENSWORD_GATEWAY_NODE=f"host{host}")
            _rules_override(tmp / host)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "greensword", "gateway", "--port", str(port), "--workers", "2",
                 "--devices", str(tmp / "devices.csv"), "--compact-interval", "2", "--trusted-proxy", "127.0.0.1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        front = _free_port()
        (tmp / "haproxy.cfg").write_text(HAPROXY_CFG.format(front=front, a=ports["A"], b=ports["B"], balance=args.balance))
        for host, port in ports.items():
            _wait(port, f"gateway host {host}")
        lb = subprocess.Popen(["haproxy", "-f", str(tmp / "haproxy.cfg")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        try:
            _wait(front, "haproxy")
            time.sleep(1)
            r = run_simulation(SimConfig(port=front, seconds=args.seconds, window=8, drain_s=3), devices)
        finally:
            lb.send_signal(signal.SIGTERM)
            lb.wait(30)
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(180)
        print(f"through HAProxy: {r.rate:,.0f} packets/s acknowledged, {r.acked:,} acked, p99 "
              f"{r.pct(.99) * 1000:.1f} ms, errors {r.errors}")
        import duckdb

        con = duckdb.connect()
        kinds = [k for k in ("rtd", "minute", "hour", "day") if list(shared_lake.glob(f"{k}/date=*/*.parquet"))]
        src = "(" + " union all ".join(
            f"select mn, qn, factor, kind, filename from read_parquet('{lake.glob(shared_lake, k)}', filename=true)"
            for k in kinds) + ")"
        per_host = con.execute(f"select regexp_extract(filename, '(host[AB])-', 1) h, count(distinct (mn, qn)) "
                               f"from {src} group by h order by h").fetchall()
        stored = set(con.execute(f"select distinct mn, qn from {src}").fetchall())
        dupes = con.execute(f"select count(*) from (select mn, qn, factor, kind, count(*) n from {src} "
                            f"group by all having n > 1)").fetchone()[0]
        missing = set(r.acked_keys) - stored
        print(f"shared lake: packets per host {dict(per_host)}, acknowledged but missing {len(missing)}, "
              f"stored twice {dupes}")
        if args.spark:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.master("local[2]").appName("hj212-lake").getOrCreate()
            df = None
            for k in kinds:                   # one table per kind (each its own partitioned root)
                part = spark.read.parquet(str(shared_lake / k))
                df = part if df is None else df.unionByName(part)
            print(f"Spark reads the same lake: {df.count():,} rows, {df.select('mn').distinct().count()} devices")
            spark.stop()
        if missing or dupes:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
