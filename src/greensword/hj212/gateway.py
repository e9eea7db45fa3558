"""The HJ 212 TCP gateway (asyncio): thousands of device connections, frames cut out of the byte
stream whatever the reads look like, every frame through ``Intake``, accepted packets made
durable by group commit before the 9014 goes out, rejections quarantined with their raw bytes.

Framing: a frame runs from ``##`` to the next LF (the data segment never holds CR/LF). Bytes
before ``##`` are garbage (counted, skipped); a second ``##`` inside a candidate frame means
the first was garbage; no LF within ``MAX_FRAME`` bytes means an oversized frame (rejected,
resynchronised at the next ``##``). A partial frame older than ``frame_timeout_s`` is dropped
and a connection silent for ``idle_timeout_s`` is closed.

Per packet the loop does little: each connection is an ``asyncio.Protocol`` (no stream objects,
no task per connection), frames are parsed by the codec's C fast path, accepted packets join the
open group-commit batch, and every reply waits in its connection's queue tagged with the batch
it depends on; when a batch is fsync'ed, each connection that had a packet in it writes all its
replies that are now due in one ``write`` (order per connection kept, acks never before fsync).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import threading
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from ..core.timeutil import now
from .compact import Compactor, load_keys
from .intake import DedupIndex, Directory, Intake, Verdict
from .packing import pack
from .proxyproto import ProxyHeaderError, Trusted
from .proxyproto import parse as parse_proxy
from .security import Guard, SharedGuard
from .security import rules as security_rules
from .wal import SegmentLog, encode_parts

log = logging.getLogger("greensword.gateway")

MAX_FRAME = 1024 + 12 + 64      # data segment limit + framing + slack for char-counted lengths
READ_SIZE = 65536


@dataclass
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 9212
    root: Path = Path("var/gateway")        # wal/, quarantine/, status.json
    lake: Path = Path("var/lake")
    idle_timeout_s: float = field(default_factory=lambda: security_rules().idle_timeout_s)
    frame_timeout_s: float = 60.0
    compact_interval_s: float = 10.0
    fsync: bool = True
    dedup_window_s: float = 7 * 86400
    directory_reload_s: float = 30.0        # new points and rotated passwords take effect within this
    reuse_port: bool = False                # several worker processes on one port (multi.py)
    #: Names this gateway host's lake files, so several hosts can write one lake without clashing.
    node: str = field(default_factory=lambda: _node_name())
    compact: bool = True                    # False: a separate compactor process reads the log
    #: Load balancers whose PROXY protocol header (v1 or v2) is read: addresses or networks.
    #: A connection from one of them must start with the header; bans and per-address caps then
    #: apply to the device's address in it. Empty: no PROXY protocol (a header is just garbage).
    trusted_proxies: tuple[str, ...] = ()
    #: Bans, failure counts and open connections shared by the worker processes of one host
    #: (SQLite file); None: this process keeps them in memory (single-process gateway).
    guard_db: Path | None = None
    worker: str = ""                        # this process's name in the shared guard


@dataclass
class DeviceStats:
    accepted: int = 0
    rejected: int = 0
    edition: str | None = None
    last_error: str | None = None
    last_seen: datetime | None = None
    peer: str | None = None
    quirks: Counter = field(default_factory=Counter)
    quirk_first: dict = field(default_factory=dict)      # quirk → first time seen in this flush period


class Gateway:
    def __init__(self, config: GatewayConfig, directory: Directory, *, engine=None):
        self.cfg = config
        self.directory = directory
        self.engine = engine                     # for per-device stats; None = no DB writes
        self.log = SegmentLog(config.root / "wal", max_age_s=config.compact_interval_s, fsync=config.fsync)
        self.dedup = DedupIndex(config.dedup_window_s)
        self.intake = Intake(directory, self.dedup)
        self.compactor = Compactor(self.log, config.lake, directory, prefix=f"{config.node}-")
        self.counters: Counter[str] = Counter()
        self.guard = SharedGuard(config.guard_db, config.worker or str(os.getpid())) if config.guard_db else Guard()
        self.trusted = Trusted(config.trusted_proxies)
        self._directory_loaded = time.monotonic()
        self.devices: dict[str, DeviceStats] = defaultdict(DeviceStats)
        self._pending: dict[str, int] = {}      # accepted key → batch that makes it durable
        self._batch: list[bytes] = []            # the open group-commit batch
        self._batch_keys: list[str] = []
        self._batch_conns: set[_Conn] = set()
        self._inflight_conns: set[_Conn] = set()  # connections waiting for the batch being fsync'ed
        self._seq = 1                            # number of the open batch
        self._durable = 0                        # every batch up to this one is fsync'ed
        self._committing = False
        self._commit_soon = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal")
        self._quarantine: deque[str] = deque()   # appended by the loop, drained by the bg thread
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._conns: set[_Conn] = set()
        self._stop_bg = threading.Event()
        self._bg: threading.Thread | None = None
        self.started = time.time()
        self.port = config.port

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        _raise_nofile()
        n = load_keys(self.log, self.directory, self.dedup, since_s=self.cfg.dedup_window_s)
        log.info("recovered %d dedup keys", n)
        self._loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.create_task(self._sweeper()))
        self._server = await self._loop.create_server(lambda: _Conn(self), self.cfg.host, self.cfg.port,
                                                      backlog=4096, reuse_port=self.cfg.reuse_port or None)
        self.port = self._server.sockets[0].getsockname()[1]
        self._bg = threading.Thread(target=self._background, name="hj212-compact", daemon=True)
        self._bg.start()
        self._write_status()

    async def serve_forever(self) -> None:
        await self.start()
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server:
            self._server.close()
        for c in list(self._conns):
            c.pause()                            # no new frames; what is in the batch gets its acks
        for _ in range(3000):
            if not (self._committing or self._batch):
                break
            await asyncio.sleep(0.01)
        for c in list(self._conns):
            c.close()
        for t in self._tasks:
            t.cancel()
        self._stop_bg.set()
        if self._bg:
            self._bg.join(timeout=30)
        self._flush_side_files()
        if self.cfg.compact:
            self.compactor.run_once(force=True)
        else:
            self.log.seal(force=True)
        self.log.close()
        self._io.shutdown(wait=True)

    # -- connections -----------------------------------------------------------------------
    def _on_frames(self, conn: _Conn, frames: list[bytes]) -> None:
        """Judge each frame, put accepted packets into the open batch and queue every reply
        behind the batch it depends on (order per connection kept)."""
        guard, host, peer, intake = self.guard, conn.host, conn.peer, self.intake
        received = time.time()
        received_us = int(received * 1e6)
        seen_at = now()
        for frame in frames:
            if guard.address_banned(host):
                self.counters["rejected.banned_address"] += 1
                conn.close_when_flushed = True     # the connection is closed after these replies
                break
            v = intake.check(frame)
            if v.status == "rejected":
                if v.code in ("unknown_mn", "bad_pw"):
                    guard.failure(host, v.mn, v.code)
            elif v.mn not in conn.authed:
                if guard.mn_banned(v.mn):
                    v = intake.deny(frame, v, "banned_mn", f"设备 MN={v.mn} 因多次密码错误暂时封禁，新连接不予接收")
                else:
                    conn.authed.add(v.mn)
            self._note(v, peer, frame, seen_at)
            seq = 0
            if v.status == "accepted":
                seq = self._seq
                self._pending[v.key] = seq
                self.dedup.add(v.key, received)
                self._batch.append(encode_parts(received_us, peer, frame, pack(v.packet)))
                self._batch_keys.append(v.key)
                self._batch_conns.add(conn)
                if not (self._committing or self._commit_soon):
                    self._commit_soon = True       # after the other reads of this loop turn
                    self._loop.call_soon(self._start_commit)
            elif v.status == "duplicate":
                seq = self._pending.get(v.key, 0)  # first copy not yet durable: ack after it
                if seq == self._seq:
                    self._batch_conns.add(conn)
                elif seq > self._durable:
                    self._inflight_conns.add(conn)
            if v.replies:
                conn.out.append((seq, v.replies[0] if len(v.replies) == 1 else b"".join(v.replies)))
        if not conn.close_when_flushed and guard.address_banned(host):
            self.counters["connections.banned_closed"] += 1
            conn.close_when_flushed = True
        conn.flush(self._durable)

    def _cut(self, buf: bytearray, peer: str) -> list[bytes]:
        frames = []
        while buf:
            start = buf.find(b"##")
            if start < 0:
                keep = 1 if buf.endswith(b"#") else 0
                self.counters["garbage_bytes"] += len(buf) - keep
                del buf[:len(buf) - keep]
                break
            while buf[start + 2:start + 3] == b"#":     # "###…": the header is the last two
                start += 1
            if start:
                self.counters["garbage_bytes"] += start
                del buf[:start]
            end = buf.find(b"\n", 2, MAX_FRAME)
            again = buf.find(b"##", 2, end if end >= 0 else MAX_FRAME)
            if again >= 0:
                self._quarantine_frame(bytes(buf[:again]), peer, "bad_header", "帧不完整，其后紧跟新的包头 ##")
                del buf[:again]
                continue
            if end < 0:
                if len(buf) >= MAX_FRAME:
                    self._quarantine_frame(bytes(buf[:MAX_FRAME]), peer, "too_long", f"超过 {MAX_FRAME} 字节仍无包尾")
                    del buf[:2]
                    continue
                break                      # wait for the rest of the frame
            frames.append(bytes(buf[:end + 1]))
            del buf[:end + 1]
        return frames

    def _note(self, v: Verdict, peer: str, frame: bytes, seen_at: datetime | None = None) -> None:
        self.counters[v.status] += 1
        if v.status == "rejected":
            self.counters[f"rejected.{v.code}"] += 1
            self._quarantine_frame(frame, peer, v.code, v.message, v.mn)
        if v.mn and (v.status != "rejected" or self.directory.get(v.mn)):
            d = self.devices[v.mn]
            d.last_seen, d.peer = seen_at or now(), peer
            if v.status == "rejected":
                d.rejected += 1
                d.last_error = f"{v.code}: {v.message}"[:200]
            else:
                d.accepted += 1
                d.edition = v.packet.edition
                if v.packet.heartbeat:
                    self.counters["heartbeat"] += 1
                for q in v.packet.quirks:
                    d.quirks[q] += 1
                    d.quirk_first.setdefault(q, d.last_seen)

    def _quarantine_frame(self, frame: bytes, peer: str, code: str, message: str, mn: str | None = None) -> None:
        self.counters["quarantined"] += 1
        self._quarantine.append(json.dumps({
            "received_at": now().isoformat(), "peer": peer, "mn": mn, "code": code, "message": message,
            "raw_b64": base64.b64encode(frame).decode()}, ensure_ascii=False))

    # -- group commit ----------------------------------------------------------------------
    def _start_commit(self) -> None:
        """Write and fsync the open batch in the log thread; the next batch fills meanwhile."""
        self._commit_soon = False
        if self._committing or not self._batch:
            return
        records, keys, conns, seq = self._batch, self._batch_keys, self._batch_conns, self._seq
        self._batch, self._batch_keys, self._batch_conns = [], [], set()
        self._seq += 1
        self._committing = True
        self._inflight_conns = conns
        fut = self._loop.run_in_executor(self._io, self.log.append_batch, records)
        fut.add_done_callback(partial(self._committed, keys, conns, seq, len(records)))

    def _committed(self, keys: list[str], conns: set[_Conn], seq: int, n: int, fut: asyncio.Future) -> None:
        self._committing = False
        exc = fut.exception() if not fut.cancelled() else asyncio.CancelledError()
        for key in keys:
            self._pending.pop(key, None)
        if exc is not None:                      # disk full etc.: nothing of it is acknowledged
            log.error("WAL append failed: %r", exc)
            self.counters["commit_failures"] += 1
            for conn in conns:
                conn.fail(seq)
            # later batches hold packets queued behind this one on the same connections; they are
            # still written, and a device re-sends what it never got an ack for
        else:
            self.counters["durable"] += n
            self.counters["commits"] += 1
            self._durable = seq
            for conn in conns:
                conn.flush(seq)
        if self._batch:
            self._start_commit()

    async def _sweeper(self) -> None:
        """Close idle connections; drop partial frames older than the frame timeout."""
        period = max(0.2, min(1.0, self.cfg.idle_timeout_s / 4, self.cfg.frame_timeout_s / 4))
        while True:
            await asyncio.sleep(period)
            self.guard.sync()
            t = time.monotonic()
            for c in list(self._conns):
                if c.awaiting_proxy:
                    if t - c.opened > self.cfg.frame_timeout_s:
                        self.counters["proxy.timeout"] += 1
                        c.close()
                elif t - c.last_data > self.cfg.idle_timeout_s and not c.out:
                    self.counters["connections.idle_closed"] += 1
                    c.close()
                elif c.buf and c.partial_since and t - c.partial_since > self.cfg.frame_timeout_s:
                    self._quarantine_frame(bytes(c.buf), c.peer, "truncated", "半包超时未收全，已丢弃")
                    c.buf.clear()
                    c.partial_since = 0.0

    # -- background: compaction, quarantine, stats -----------------------------------------
    def _background(self) -> None:
        while not self._stop_bg.wait(min(2.0, self.cfg.compact_interval_s)):
            try:
                self._flush_side_files()
                if self.cfg.compact:
                    self.compactor.run_once()
                else:
                    self.log.rotate()
                if self.engine is not None and time.monotonic() - self._directory_loaded > self.cfg.directory_reload_s:
                    self.reload_directory()
            except Exception:
                log.exception("gateway background step failed")

    def reload_directory(self) -> None:
        """Re-read devices from the registry (new points, rotated passwords, tolerant switches)."""
        from ..core.db import session_scope

        with session_scope(self.engine) as s:
            directory = Directory.from_db(s)
        self.directory = self.intake.directory = self.compactor.directory = directory
        self._directory_loaded = time.monotonic()

    def _flush_side_files(self) -> None:
        lines = []
        while self._quarantine:
            lines.append(self._quarantine.popleft())
        if lines:
            qdir = self.cfg.root / "quarantine"
            qdir.mkdir(parents=True, exist_ok=True)
            with open(qdir / f"{now().date().isoformat()}.jsonl", "a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
        self._write_status()
        if self.engine is not None:
            self._flush_devices()

    def status(self) -> dict:
        c = dict(self.counters)
        c.update({f"security.{k}": n for k, n in self.guard.counters.items()})
        return {"updated_at": now().isoformat(), "started_at": datetime.fromtimestamp(self.started, now().tzinfo).isoformat(),
                "port": self.port, "counters": c, "lake_rows": self.compactor.rows_written,
                "dedup_keys": len(self.dedup), "pid": os.getpid()}

    def _write_status(self) -> None:
        self.cfg.root.mkdir(parents=True, exist_ok=True)
        tmp = self.cfg.root / "status.json.tmp"
        tmp.write_text(json.dumps(self.status(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.cfg.root / "status.json")

    def _flush_devices(self) -> None:
        from ..core.db import session_scope
        from .models import Device

        stats, self.devices = self.devices, defaultdict(DeviceStats)
        if not stats:
            return
        with session_scope(self.engine) as s:
            for mn, st in stats.items():
                d = s.get(Device, mn) or Device(mn=mn, tolerant=False, quirks={}, accepted=0, rejected=0)
                d.accepted = (d.accepted or 0) + st.accepted
                d.rejected = (d.rejected or 0) + st.rejected
                d.edition = st.edition or d.edition
                d.last_error = st.last_error or d.last_error
                d.last_seen_at, d.last_peer = st.last_seen, st.peer
                if st.quirks:
                    d.quirks = merge_quirks(d.quirks, st.quirks, st.quirk_first, st.last_seen)
                s.add(d)


class _Conn(asyncio.Protocol):
    """One device connection: frames cut from its bytes, replies queued until their batch is
    durable (``out``: (batch, bytes) in arrival order)."""

    def __init__(self, gw: Gateway):
        self.gw = gw
        self.transport: asyncio.Transport | None = None
        self.host, self.peer = "?", "?:?"
        self.buf = bytearray()
        self.authed: set[str] = set()            # MNs this connection has authenticated as
        self.out: deque[tuple[int, bytes]] = deque()
        self.partial_since = 0.0
        self.last_data = time.monotonic()
        self.admitted = False
        self.awaiting_proxy = False
        self.opened = time.monotonic()
        self.paused = False
        self.write_paused = False
        self.close_when_flushed = False

    def connection_made(self, transport) -> None:
        gw = self.gw
        self.transport = transport
        host, port = (transport.get_extra_info("peername") or ("?", "?"))[:2]
        self.host, self.peer = host, f"{host}:{port}"
        gw.counters["connections.total"] += 1
        if gw.trusted and host in gw.trusted:
            self.awaiting_proxy = True            # the balancer tells the device's address first
            gw._conns.add(self)
            return
        self._admit(host, port)

    def _admit(self, host: str, port) -> bool:
        gw = self.gw
        self.host, self.peer = host, f"{host}:{port}"
        if not gw.guard.connect(host):
            gw.counters["connections.refused"] += 1
            gw._conns.discard(self)
            self.transport.close()
            return False
        self.admitted = True
        gw.counters["connections.open"] += 1
        gw._conns.add(self)
        return True

    def _proxy_header(self, data: bytes) -> bytes | None:
        """Read the PROXY header; the bytes after it, or None (not all here yet / refused)."""
        gw = self.gw
        self.buf += data
        try:
            r = parse_proxy(self.buf)
        except ProxyHeaderError as exc:
            gw.counters["proxy.bad_header"] += 1
            gw._quarantine_frame(bytes(self.buf[:256]), self.peer, "bad_proxy_header", f"PROXY 协议头无效：{exc}")
            gw._conns.discard(self)
            self.transport.close()
            return None
        if r is None:
            return None
        n, src, sport = r
        rest = bytes(self.buf[n:])
        self.buf.clear()
        self.awaiting_proxy = False
        gw.counters["proxy.headers"] += 1
        balancer, bport = self.peer.rsplit(":", 1)
        if not self._admit(src or balancer, sport if src else bport):
            return None
        self.peer = f"{self.peer} via {balancer}"
        return rest

    def data_received(self, data: bytes) -> None:
        if self.awaiting_proxy:
            data = self._proxy_header(data)
            if not data:
                return
        if not self.admitted or self.paused or self.close_when_flushed:
            return
        gw = self.gw
        self.last_data = time.monotonic()
        gw.counters["bytes"] += len(data)
        buf = self.buf
        buf += data
        frames = gw._cut(buf, self.peer)
        if buf:
            self.partial_since = self.partial_since or self.last_data
        else:
            self.partial_since = 0.0
        if frames:
            gw._on_frames(self, frames)

    def flush(self, durable: int) -> None:
        """Write every reply now due, in order, in one write."""
        out = self.out
        if out and self.transport is not None and not self.transport.is_closing():
            due = []
            while out and out[0][0] <= durable:
                due.append(out.popleft()[1])
            if due:
                self.transport.write(due[0] if len(due) == 1 else b"".join(due))
        if self.close_when_flushed and not out:
            self.close()

    def fail(self, seq: int) -> None:
        """The batch ``seq`` could not be made durable: drop its acks and close (the device
        re-sends what it got no ack for)."""
        self.out = deque((s, b) for s, b in self.out if s < seq)
        self.flush(seq - 1)
        self.close()

    def pause(self) -> None:
        self.paused = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def pause_writing(self) -> None:            # the device does not read its acks: stop reading
        self.write_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.transport is not None and not self.paused and not self.transport.is_closing():
            self.transport.resume_reading()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        gw = self.gw
        if not self.admitted:
            gw._conns.discard(self)
            return
        self.admitted = False
        if exc is not None:
            gw.counters["connections.reset"] += 1
        gw.guard.disconnect(self.host)
        gw.counters["connections.open"] -= 1
        gw._conns.discard(self)
        gw._batch_conns.discard(self)


def merge_quirks(stored: dict | None, counts: Counter, first: dict, last: datetime | None) -> dict:
    """Stored per-device quirks + one flush period's counts → {"count", "first", "last"} each."""
    out = {}
    for name, v in (stored or {}).items():
        out[name] = dict(v) if isinstance(v, dict) else {"count": v, "first": None, "last": None}
    for name, n in counts.items():
        q = out.setdefault(name, {"count": 0, "first": None, "last": None})
        q["count"] += n
        seen = first.get(name)
        q["first"] = q["first"] or (seen.isoformat() if seen else None)
        q["last"] = last.isoformat() if last else q["last"]
    return out


def _node_name() -> str:
    import re
    import socket

    return re.sub(r"[^A-Za-z0-9]", "", os.environ.get("GREENSWORD_GATEWAY_NODE") or socket.gethostname())[:32] or "node"


def _raise_nofile() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def build_gateway(*, host: str | None = None, port: int | None = None, engine=None,
                  directory: Directory | None = None, **overrides) -> Gateway:
    """A gateway configured from settings, devices from the registry."""
    from ..core.db import get_engine, session_scope
    from ..settings import get_settings

    s = get_settings()
    if directory is None:
        engine = engine or get_engine()
        with session_scope(engine) as session:
            directory = Directory.from_db(session)
    cfg = GatewayConfig(host=host or s.gateway_host, port=s.gateway_port if port is None else port,
                        root=s.data_dir / "gateway", lake=s.lake_path, **overrides)
    return Gateway(cfg, directory, engine=engine)


def run(gateway: Gateway) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly (compacting what the log holds)."""
    import signal

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        await gateway.start()
        try:
            await stopping.wait()
        finally:
            await gateway.stop()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def start_in_thread(settings=None, engine=None):
    """Used by ``greensword serve``: the gateway on its own event loop beside the web console.
    Returns a function that stops it (compacting what it holds)."""
    gw = build_gateway(engine=engine)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def target() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(gw.start())
        except BaseException as exc:     # e.g. port in use: report it to the caller
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=target, name="hj212-gateway", daemon=True)
    thread.start()
    ready.wait(60)
    if failure:
        raise failure[0]

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(gw.stop(), loop).result(120)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    return stop
