"""The HJ 212 TCP gateway (asyncio): thousands of device connections, frames cut out of the byte
stream whatever the reads look like, every frame through ``Intake``, accepted packets made
durable by group commit before the 9014 goes out, rejections quarantined with their raw bytes.

Framing: a frame runs from ``##`` to the next LF (the data segment never holds CR/LF). Bytes
before ``##`` are garbage (counted, skipped); a second ``##`` inside a candidate frame means
the first was garbage; no LF within ``MAX_FRAME`` bytes means an oversized frame (rejected,
resynchronised at the next ``##``). A partial frame older than ``frame_timeout_s`` is dropped
and a connection silent for ``idle_timeout_s`` is closed.
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
from pathlib import Path

from ..core.timeutil import now
from .compact import Compactor, load_keys
from .intake import DedupIndex, Directory, Intake, Verdict
from .packing import pack
from .security import Guard
from .security import rules as security_rules
from .wal import Record, SegmentLog, encode

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
        self.guard = Guard()
        self._directory_loaded = time.monotonic()
        self.devices: dict[str, DeviceStats] = defaultdict(DeviceStats)
        self._pending: dict[str, asyncio.Future] = {}
        self._queue: asyncio.Queue | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal")
        self._quarantine: deque[str] = deque()   # appended by the loop, drained by the bg thread
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._conn_tasks: set[asyncio.Task] = set()
        self._stop_bg = threading.Event()
        self._bg: threading.Thread | None = None
        self.started = time.time()
        self.port = config.port

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        _raise_nofile()
        n = load_keys(self.log, self.directory, self.dedup, since_s=self.cfg.dedup_window_s)
        log.info("recovered %d dedup keys", n)
        self._queue = asyncio.Queue()
        self._tasks.append(asyncio.create_task(self._committer()))
        self._server = await asyncio.start_server(self._handle, self.cfg.host, self.cfg.port,
                                                  limit=READ_SIZE, backlog=4096,
                                                  reuse_port=self.cfg.reuse_port or None)
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
        for w in list(self._writers):
            w.close()
        conns = list(self._conn_tasks)
        for t in conns:
            t.cancel()
        await asyncio.gather(*conns, return_exceptions=True)
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
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = (writer.get_extra_info("peername") or ("?", "?"))[:2]
        peer = f"{host}:{port}"
        self.counters["connections.total"] += 1
        if not self.guard.connect(host):
            self.counters["connections.refused"] += 1
            writer.close()
            return
        self.counters["connections.open"] += 1
        authed: set[str] = set()           # MNs this connection has authenticated as
        self._writers.add(writer)
        task = asyncio.current_task()
        self._conn_tasks.add(task)
        buf = bytearray()
        partial_since = 0.0
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(reader.read(READ_SIZE), self.cfg.idle_timeout_s)
                except TimeoutError:
                    self.counters["connections.idle_closed"] += 1
                    break
                if not chunk:
                    break
                self.counters["bytes"] += len(chunk)
                buf += chunk
                frames = self._cut(buf, peer)
                if buf:
                    partial_since = partial_since or time.monotonic()
                    if time.monotonic() - partial_since > self.cfg.frame_timeout_s:
                        self._quarantine_frame(bytes(buf), peer, "truncated", "半包超时未收全，已丢弃")
                        buf.clear()
                        partial_since = 0.0
                else:
                    partial_since = 0.0
                if frames:
                    out = await self._process(frames, peer, host, authed)
                    if out:
                        writer.write(b"".join(out))
                        await writer.drain()
                    if self.guard.address_banned(host):
                        self.counters["connections.banned_closed"] += 1
                        break
        except (ConnectionError, asyncio.IncompleteReadError):
            self.counters["connections.reset"] += 1
        finally:
            self.guard.disconnect(host)
            self.counters["connections.open"] -= 1
            self._writers.discard(writer)
            self._conn_tasks.discard(task)
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

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

    async def _process(self, frames: list[bytes], peer: str, host: str = "?",
                       authed: set[str] | None = None) -> list[bytes]:
        loop = asyncio.get_running_loop()
        verdicts: list[tuple[Verdict, asyncio.Future | None]] = []
        received = time.time()
        authed = set() if authed is None else authed
        for frame in frames:
            if self.guard.address_banned(host):
                self.counters["rejected.banned_address"] += 1
                break                      # the connection is closed after these replies
            v = self.intake.check(frame)
            if v.status == "rejected":
                if v.code in ("unknown_mn", "bad_pw"):
                    self.guard.failure(host, v.mn, v.code)
            elif v.mn not in authed:
                if self.guard.mn_banned(v.mn):
                    v = self.intake.deny(frame, v, "banned_mn", f"设备 MN={v.mn} 因多次密码错误暂时封禁，新连接不予接收")
                else:
                    authed.add(v.mn)
            self._note(v, peer, frame)
            fut = None
            if v.status == "accepted":
                fut = loop.create_future()
                self._pending[v.key] = fut
                self.dedup.add(v.key, received)
                self._queue.put_nowait((encode(Record(int(received * 1e6), peer, frame, pack(v.packet))), fut, v.key))
            elif v.status == "duplicate":
                fut = self._pending.get(v.key)     # first copy not yet durable: ack after it
            verdicts.append((v, fut))
        out: list[bytes] = []
        for v, fut in verdicts:
            if fut is not None:
                await fut
            out.extend(v.replies)
        return out

    def _note(self, v: Verdict, peer: str, frame: bytes) -> None:
        self.counters[v.status] += 1
        if v.status == "rejected":
            self.counters[f"rejected.{v.code}"] += 1
            self._quarantine_frame(frame, peer, v.code, v.message, v.mn)
        if v.mn and (v.status != "rejected" or self.directory.get(v.mn)):
            d = self.devices[v.mn]
            d.last_seen, d.peer = now(), peer
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
    async def _committer(self) -> None:
        loop = asyncio.get_running_loop()
        q = self._queue
        while True:
            batch = [await q.get()]
            while not q.empty() and len(batch) < 20000:
                batch.append(q.get_nowait())
            try:
                await loop.run_in_executor(self._io, self.log.append_batch, [b[0] for b in batch])
            except Exception as exc:    # disk full etc.: nothing is acknowledged
                log.exception("WAL append failed")
                for _, fut, key in batch:
                    self._pending.pop(key, None)
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.counters["durable"] += len(batch)
            self.counters["commits"] += 1
            for _, fut, key in batch:
                self._pending.pop(key, None)
                if not fut.done():
                    fut.set_result(True)

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
