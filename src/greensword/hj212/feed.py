"""Demo feed: while the demo province is served (``GREENSWORD_DEMO_FEED=1``, set by
``make run``), every registered point's data logger "uploads" a minute record each minute (and
the hour record on the hour) through the HJ 212 gateway — over TCP, with its own MN and
password, acknowledged after the gateway has the packet durably — so the monitoring console
shows live points and current values instead of 离线 everywhere.

Values sit around half of each factor's limit (the middle of a two-sided range such as pH),
with a daily cycle and noise. A few points (about 3 %, chosen from their MN) stay silent, as
real devices do, and show 离线."""

from __future__ import annotations

import hashlib
import math
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core.timeutil import now
from .codec import build

#: share of points left silent (out of 100), chosen from the MN
SILENT_PERCENT = 3
#: values of factors without a limit (O2 %, flow, temperature …)
DEFAULT_BASE = {"a19001": 9.0, "a01012": 110.0, "a00000": 60.0, "w00000": 12.0, "e10001": 300.0, "e10002": 60.0}
_ACK = re.compile(rb"CN=9014")


@dataclass
class FedPoint:
    mn: str
    pw: str
    st: str
    factors: list[tuple[str, float]] = field(default_factory=list)     # code, base value


def silent(mn: str) -> bool:
    return int(hashlib.sha256(mn.encode()).hexdigest()[:8], 16) % 100 < SILENT_PERCENT


def points_from_registry(session) -> list[FedPoint]:
    from sqlalchemy import select

    from ..registry.models import MonitoringPoint

    out = []
    for p in session.execute(select(MonitoringPoint).where(MonitoringPoint.active.is_(True))
                             .order_by(MonitoringPoint.mn)).scalars():
        factors = []
        for f in p.factors:
            if f.limit_value is not None and f.limit_min is not None:
                base = (f.limit_value + f.limit_min) / 2
            elif f.limit_value is not None:
                base = 0.5 * f.limit_value
            else:
                base = DEFAULT_BASE.get(f.factor_code, 10.0)
            factors.append((f.factor_code, base))
        if factors:
            out.append(FedPoint(p.mn, p.pw, "32" if p.kind == "water" else "31", factors))
    return out


def _value(rng: random.Random, base: float, t: datetime) -> float:
    cycle = 1 + 0.12 * math.sin((t.hour * 60 + t.minute) / 1440 * 2 * math.pi)
    return round(base * cycle * (1 + rng.gauss(0, 0.06)), 3)


def packets(points: list[FedPoint], minute: datetime, *, seed: int = 212) -> list[bytes]:
    """Each non-silent point's minute record for ``minute`` (Beijing time, whole minute) and,
    on the hour, the record of the hour just ended."""
    out = []
    for p in points:
        if silent(p.mn):
            continue
        rng = random.Random(f"{seed}:{p.mn}:{minute.isoformat()}")
        uploads = [("2051", minute - timedelta(minutes=1))]          # the minute just ended
        if minute.minute == 0:
            uploads.append(("2061", minute - timedelta(hours=1)))
        for i, (cn, dt) in enumerate(uploads):
            cp: dict[str, object] = {"DataTime": dt.strftime("%Y%m%d%H%M%S")}
            for code, base in p.factors:
                v = _value(rng, base, dt)
                cp.update({f"{code}-Avg": v, f"{code}-Min": round(v * 0.92, 3), f"{code}-Max": round(v * 1.08, 3),
                           f"{code}-Flag": "N"})
            qn = minute.strftime("%Y%m%d%H%M%S") + f"{i:03d}"
            out.append(build(st=p.st, cn=cn, pw=p.pw, mn=p.mn, qn=qn, flag=5, cp=cp))
    return out


def send(host: str, port: int, frames: list[bytes], *, timeout: float = 30.0) -> int:
    """Send the frames on one connection; returns how many the gateway acknowledged (9014)."""
    if not frames:
        return 0
    acked, buf = 0, b""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(b"".join(frames))
        deadline = time.monotonic() + timeout
        while acked < len(frames) and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            acked += sum(1 for line in lines if _ACK.search(line))
    return acked


def feed_once(host: str, port: int, points: list[FedPoint], minute: datetime | None = None) -> tuple[int, int]:
    minute = minute or now().replace(tzinfo=None, second=0, microsecond=0)
    frames = packets(points, minute)
    return len(frames), send(host, port, frames)


def start_in_thread(settings) -> callable:
    """Feed every minute (the first round at once) until the returned function is called."""
    from ..core.db import session_scope

    stop = threading.Event()
    host = "127.0.0.1" if settings.gateway_host in ("0.0.0.0", "::", "") else settings.gateway_host

    def loop() -> None:
        points, loaded = [], 0.0
        while not stop.is_set():
            if time.monotonic() - loaded > 600:          # new points appear within ten minutes
                with session_scope() as s:
                    points = points_from_registry(s)
                loaded = time.monotonic()
            try:
                feed_once(host, settings.gateway_port, points)
            except OSError:
                pass                                       # gateway restarting: try again next minute
            t = now()
            stop.wait(60 - t.second - t.microsecond / 1e6 + 2)

    thread = threading.Thread(target=loop, name="hj212-demo-feed", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)
    return halt
