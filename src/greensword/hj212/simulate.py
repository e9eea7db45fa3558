"""Device simulator: N monitoring devices (from the registry) on their own TCP connections,
sending real-time, minute, hourly and daily uploads with plausible values, asking for acks
(Flag=5) and timing each 9014. Also replays a packet file.

Load mode sends as fast as each connection's window of un-acked packets allows; ``realtime``
keeps the devices' real cadence (real-time every 30 s, minute/hour/day data on the boundary).
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .codec import build, cp_text, frame

_ACK_QN = re.compile(rb"QN=(\d{17});ST=91;CN=9014")

GAS = [("a21026", 35.0, 0.12), ("a21002", 80.0, 0.10), ("a34013", 8.0, 0.15),
       ("a19001", 9.0, 0.05), ("a01012", 110.0, 0.03), ("a00000", 60.0, 0.05)]
WATER = [("w01018", 40.0, 0.12), ("w21003", 2.0, 0.2), ("w01001", 7.2, 0.02), ("w00000", 12.0, 0.1)]
POWER = [("e10001", 300.0, 0.2), ("e10002", 60.0, 0.2)]


@dataclass
class SimDevice:
    mn: str
    pw: str
    st: str = "31"
    factors: list[tuple[str, float, float]] = field(default_factory=lambda: list(GAS))


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 9212
    seconds: float = 10.0
    window: int = 8
    realtime: bool = False
    seed: int = 212
    drain_s: float = 10.0
    max_packets: int | None = None        # per device (tests)
    on_start: Callable[[], None] | None = None   # load mode: called once every device is connected


@dataclass
class SimReport:
    devices: int = 0
    sent: int = 0
    acked: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    acked_keys: list[tuple[str, str]] = field(default_factory=list)
    errors: int = 0
    connect_s: float = 0.0                # load mode: connecting every device, before the clock

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(math.ceil(q * len(xs))) - 1)]

    @property
    def rate(self) -> float:
        return self.acked / self.elapsed if self.elapsed else 0.0

    def summary(self) -> str:
        return (f"设备 {self.devices}，发送 {self.sent}，应答 {self.acked}，错误 {self.errors}，"
                f"用时 {self.elapsed:.2f} s，吞吐 {self.rate:,.0f} 包/秒，应答延迟 p50 "
                f"{self.pct(0.5) * 1000:.1f} ms / p99 {self.pct(0.99) * 1000:.1f} ms")


def devices_from_registry(n: int) -> list[SimDevice]:
    from sqlalchemy import select

    from ..core.db import session_scope
    from ..registry.models import MonitoringPoint

    out = []
    with session_scope() as s:
        for p in s.execute(select(MonitoringPoint).where(MonitoringPoint.active.is_(True))
                           .order_by(MonitoringPoint.mn).limit(n)).scalars():
            table = {"gas": GAS, "water": WATER, "power": POWER}.get(p.kind, GAS)
            out.append(SimDevice(p.mn, p.pw, "32" if p.kind == "water" else "31", list(table)))
    return out


#: Load mode: value sets shared by devices of the same factor list (drawn once per process, so
#: that 5,000 devices do not spend the measurement drawing their own).
_POOL: dict[tuple, list[str]] = {}


class _Source:
    """Values with a daily cycle and noise; kind rotates like a real data logger's output."""

    def __init__(self, dev: SimDevice, rng: random.Random, start: datetime, pooled: bool = False):
        self.dev, self.rng = dev, rng
        self.pool: dict[tuple, list[str]] | None = _POOL if pooled else None
        self.clock = start.replace(second=0)
        self.i = 0

    def _qn(self) -> str:
        t = self.clock + timedelta(milliseconds=self.i)
        return t.strftime("%Y%m%d%H%M%S") + f"{t.microsecond // 1000:03d}"

    def _value(self, base: float, noise: float, t: datetime) -> float:
        cycle = 1 + 0.15 * math.sin((t.hour * 60 + t.minute) / 1440 * 2 * math.pi)
        return round(base * cycle * (1 + self.rng.gauss(0, noise)), 3)

    def next(self) -> tuple[str, bytes]:
        """The next upload on a simulated clock advancing 30 s per packet: real-time data, a
        minute record each minute, an hour record each hour, a day record each day — each
        period reported once, as a real data logger does."""
        self.i += 1
        qn = self._qn()
        t = self.clock + timedelta(seconds=30 * self.i)
        if self.i % 2880 == 0:
            cn, dt, fields = "2031", t.replace(hour=0, minute=0, second=0), ("Avg", "Min", "Max", "Cou")
        elif self.i % 120 == 0:
            cn, dt, fields = "2061", t.replace(minute=0, second=0), ("Avg", "Min", "Max", "Cou")
        elif self.i % 2 == 0:
            cn, dt, fields = "2051", t.replace(second=0), ("Avg", "Min", "Max", "Cou")
        else:
            cn, dt, fields = "2011", t, ("Rtd",)
        return qn, self.packet(qn, cn, dt, fields)

    def packet(self, qn: str, cn: str, dt: datetime, fields: tuple[str, ...]) -> bytes:
        """In load mode the factor values come from a pool of 32 value sets per kind and factor
        list (drawn once per process),
        so that generating a packet costs little next to the gateway's work; DataTime and QN are
        always new."""
        if self.pool is not None:
            key = (cn, tuple(self.dev.factors))
            bodies = self.pool.get(key)
            if bodies is None:
                bodies = self.pool[key] = [cp_text(self._values(dt, fields)) for _ in range(32)]
            body = bodies[self.i % 32]
            return frame(f"QN={qn};ST={self.dev.st};CN={cn};PW={self.dev.pw};MN={self.dev.mn};Flag=5;"
                         f"CP=&&DataTime={dt.strftime('%Y%m%d%H%M%S')};{body}&&")
        cp: dict[str, object] = {"DataTime": dt.strftime("%Y%m%d%H%M%S")}
        cp.update(self._values(dt, fields))
        return build(st=self.dev.st, cn=cn, pw=self.dev.pw, mn=self.dev.mn, qn=qn, flag=5, cp=cp)

    def _values(self, dt: datetime, fields: tuple[str, ...]) -> dict[str, object]:
        cp: dict[str, object] = {}
        for code, base, noise in self.dev.factors:
            v = self._value(base, noise, dt)
            for f in fields:
                if f == "Min":
                    cp[f"{code}-Min"] = round(v * 0.9, 3)
                elif f == "Max":
                    cp[f"{code}-Max"] = round(v * 1.1, 3)
                elif f == "Cou":
                    cp[f"{code}-Cou"] = round(v * 0.36, 3)
                else:
                    cp[f"{code}-{f}"] = v
            cp[f"{code}-Flag"] = "N"
        return cp


async def _device(cfg: SimConfig, dev: SimDevice, seed: int, deadline: float, report: SimReport,
                  frames: list[bytes] | None) -> None:
    rng = random.Random(seed)
    src = _Source(dev, rng, datetime.now().replace(microsecond=0) - timedelta(seconds=rng.randrange(86400)),
                  pooled=not cfg.realtime)
    try:
        reader, writer = await asyncio.open_connection(cfg.host, cfg.port)
    except OSError:
        report.errors += 1
        return
    window = asyncio.Semaphore(cfg.window)
    sent_at: dict[str, float] = {}
    done = asyncio.Event()

    async def read_acks() -> None:
        buf = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    m = _ACK_QN.search(line)
                    if m:
                        qn = m.group(1).decode()
                        t0 = sent_at.pop(qn, None)
                        if t0 is not None:
                            report.latencies.append(time.perf_counter() - t0)
                            report.acked += 1
                            report.acked_keys.append((dev.mn, qn))
                            window.release()
                if done.is_set() and not sent_at:
                    break
        except (ConnectionError, OSError):
            report.errors += 1

    acker = asyncio.create_task(read_acks())
    n = 0
    try:
        if frames is not None:
            for fr in frames:
                writer.write(fr)
                report.sent += 1
            await writer.drain()
        else:
            while time.perf_counter() < deadline and (cfg.max_packets is None or n < cfg.max_packets):
                if cfg.realtime:
                    await asyncio.sleep(30)
                if acker.done():             # connection gone
                    break
                if window.locked():          # a full window: wait for an ack (bounded, to re-check the deadline)
                    try:
                        await asyncio.wait_for(window.acquire(), 1.0)
                    except TimeoutError:
                        continue
                else:
                    await window.acquire()
                qn, frame = src.next()
                sent_at[qn] = time.perf_counter()
                writer.write(frame)
                n += 1
                report.sent += 1
                if n % cfg.window == 0:
                    await writer.drain()
            await writer.drain()
        done.set()
        end = time.perf_counter() + cfg.drain_s
        while sent_at and time.perf_counter() < end and not acker.done():
            await asyncio.sleep(0.05)
    except (ConnectionError, OSError, RuntimeError):     # uvloop: RuntimeError on a closed transport
        report.errors += 1
    finally:
        acker.cancel()
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


class _LoadConn(asyncio.Protocol):
    """Load mode, one device: keeps ``window`` packets in flight; each ack read sends the next
    packet (all sends of one read in one write). Cheap per packet, so that on a shared machine
    the simulator takes little of the CPU the gateway is measured on."""

    def __init__(self, cfg: SimConfig, dev: SimDevice, src: _Source, deadline: float, report: SimReport,
                 done: asyncio.Future):
        self.cfg, self.dev, self.src, self.deadline, self.report, self.done = cfg, dev, src, deadline, report, done
        self.sent_at: dict[str, float] = {}
        self.buf = b""
        self.n = 0
        self.transport: asyncio.Transport | None = None

    def _more(self) -> bool:
        return time.perf_counter() < self.deadline and (self.cfg.max_packets is None or self.n < self.cfg.max_packets)

    def _send(self, k: int) -> None:
        out = []
        t = time.perf_counter()
        while k > 0 and self._more():
            qn, fr = self.src.next()
            self.sent_at[qn] = t
            out.append(fr)
            self.n += 1
            k -= 1
        if out:
            self.report.sent += len(out)
            self.transport.write(b"".join(out))

    def connection_made(self, transport) -> None:
        self.transport = transport

    def begin(self, deadline: float) -> None:
        """Start sending (every device is connected by now)."""
        self.deadline = deadline
        if self.transport.is_closing():
            if not self.done.done():
                self.done.set_result(None)
            return
        self._send(self.cfg.window)
        self._finish_if_done()

    def data_received(self, data: bytes) -> None:
        *lines, self.buf = (self.buf + data).split(b"\n")
        t = time.perf_counter()
        acked = 0
        r, mn, sent_at = self.report, self.dev.mn, self.sent_at
        for line in lines:
            m = _ACK_QN.search(line)
            if m:
                qn = m.group(1).decode()
                t0 = sent_at.pop(qn, None)
                if t0 is not None:
                    r.latencies.append(t - t0)
                    r.acked_keys.append((mn, qn))
                    acked += 1
        r.acked += acked
        if acked:
            self._send(acked)
        self._finish_if_done()

    def _finish_if_done(self) -> None:
        if not self.sent_at and not self._more() and not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.report.errors += 1
        if not self.done.done():
            self.done.set_result(None)


async def _connect(cfg: SimConfig, dev: SimDevice, seed: int, report: SimReport) -> _LoadConn | None:
    rng = random.Random(seed)
    src = _Source(dev, rng, datetime.now().replace(microsecond=0) - timedelta(seconds=rng.randrange(86400)),
                  pooled=True)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    try:
        _, proto = await loop.create_connection(lambda: _LoadConn(cfg, dev, src, 0.0, report, done),
                                                cfg.host, cfg.port)
    except OSError:
        report.errors += 1
        return None
    return proto


async def _run_load(cfg: SimConfig, devices: list[SimDevice], report: SimReport) -> None:
    """Connect every device first, then send for ``cfg.seconds``: the figures are those of the
    steady state with that many connections (``report.connect_s``: how long connecting took)."""
    t = time.perf_counter()
    protos = [p for p in await asyncio.gather(*[_connect(cfg, d, cfg.seed * 100_003 + i, report)
                                                for i, d in enumerate(devices)]) if p is not None]
    if cfg.on_start is not None:
        cfg.on_start()
    t0 = time.perf_counter()
    report.connect_s = t0 - t
    deadline = t0 + cfg.seconds
    for p in protos:
        p.begin(deadline)

    async def finish(p: _LoadConn) -> None:
        try:
            await asyncio.wait_for(p.done, max(0.0, deadline - time.perf_counter()) + cfg.drain_s)
        except TimeoutError:
            pass
        p.transport.close()

    await asyncio.gather(*[finish(p) for p in protos])
    report.elapsed = time.perf_counter() - t0


async def simulate(cfg: SimConfig, devices: list[SimDevice], replay: list[bytes] | None = None) -> SimReport:
    report = SimReport(devices=len(devices))
    t0 = time.perf_counter()
    deadline = t0 + cfg.seconds
    if replay is None and not cfg.realtime:
        await _run_load(cfg, devices, report)
        return report
    tasks = [_device(cfg, d, cfg.seed * 100_003 + i, deadline, report,
                     replay if (replay is not None and i == 0) else ([] if replay is not None else None))
             for i, d in enumerate(devices)]
    await asyncio.gather(*tasks)
    report.elapsed = time.perf_counter() - t0
    return report


def run_simulation(cfg: SimConfig, devices: list[SimDevice], replay: list[bytes] | None = None) -> SimReport:
    try:
        import uvloop

        return uvloop.run(simulate(cfg, devices, replay))
    except ImportError:
        return asyncio.run(simulate(cfg, devices, replay))
