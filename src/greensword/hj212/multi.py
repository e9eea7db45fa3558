"""The gateway on several cores: N worker processes accept on one port (SO_REUSEPORT, the kernel
spreads connections), each with its own durable log under ``<root>/w<i>/wal``; one compactor
process turns every worker's sealed segments into the lake, from the parsed packets the workers
logged (no re-parse); a supervisor restarts any process that dies and merges the status files.

Bans, failure counts and the per-address connection cap are per host: the workers share them
through a small SQLite file (``<root>/guard.db``, security.SharedGuard).

Dedup across processes: a worker recognises re-sends it has seen itself; the single compactor
keeps the keys of everything stored (rebuilt from the ``.done`` key files after a restart), so a
device that reconnects to another worker and re-sends is acknowledged again but stored once.

Sealed segments: a worker seals its active segment by age and opens the next one at once, so the
compactor takes every ``.log`` but the newest of each worker; at shutdown, after the workers
have stopped, it takes the rest. kill -9 of any process loses no acknowledged packet: the
worker's log is fsync'ed before the ack and its restart cuts a torn tail; the compactor redoes a
segment it was interrupted in (its lake files carry the segment's name).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import time
from pathlib import Path

from .compact import Compactor
from .gateway import Gateway, GatewayConfig, run
from .intake import Directory
from .security import SharedGuard

log = logging.getLogger("greensword.gateway")


def worker_dirs(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).glob("w*") if p.is_dir() and p.name[1:].isdigit())


def _worker(i: int, cfg: GatewayConfig, directory: Directory, use_db: bool) -> None:
    from dataclasses import replace

    engine = None
    if use_db:
        from ..core.db import get_engine

        engine = get_engine()
        engine.dispose(close=False)      # connections inherited through fork stay the parent's
    wcfg = replace(cfg, root=Path(cfg.root) / f"w{i}", reuse_port=True, compact=False,
                   guard_db=Path(cfg.root) / "guard.db", worker=f"w{i}")
    run(Gateway(wcfg, directory, engine=engine))


def _load_seen(root: Path, window_s: float) -> set[str]:
    seen: set[str] = set()
    horizon = time.time() - window_s
    for d in worker_dirs(root):
        for done in sorted((d / "wal").glob("seg-*.done")):
            if done.stat().st_mtime < horizon:
                continue
            seen.update(k for k in done.read_text(encoding="utf-8").split("\n") if k)
    return seen


def compact_all(root: Path, compactor: Compactor, *, final: bool = False, node: str = "") -> int:
    """Compact every sealed segment of every worker (``final``: all of them, workers stopped)."""
    n = 0
    for d in worker_dirs(root):
        segs = sorted((d / "wal").glob("seg-*.log"))
        if not final:
            segs = segs[:-1]             # the newest may still be written
        compactor.prefix = f"{node}-{d.name}" if node else d.name
        for path in segs:
            compactor.compact(path)
            n += 1
    return n


def _compactor(root: Path, lake: Path, directory: Directory, interval: float, window_s: float, node: str) -> None:
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    compactor = Compactor(None, lake, directory, seen=_load_seen(root, window_s))
    while not stop["now"]:
        try:
            compact_all(root, compactor, node=node)
        except Exception:
            log.exception("compaction failed; retrying")
        for _ in range(int(interval * 10)):
            if stop["now"]:
                break
            time.sleep(0.1)
    final = (Path(root) / "workers-stopped").exists()
    compact_all(root, compactor, final=final, node=node)


class Supervisor:
    def __init__(self, cfg: GatewayConfig, directory: Directory, workers: int, *, use_db: bool = False):
        if cfg.port == 0:
            raise ValueError("多进程网关需要固定端口")
        self.cfg, self.directory, self.n, self.use_db = cfg, directory, workers, use_db
        self.ctx = multiprocessing.get_context("fork")
        self.workers: dict[int, multiprocessing.Process] = {}
        self.compactor: multiprocessing.Process | None = None
        self.restarts = 0
        self.root = Path(cfg.root)

    def _start_worker(self, i: int) -> None:
        p = self.ctx.Process(target=_worker, args=(i, self.cfg, self.directory, self.use_db), name=f"hj212-w{i}")
        p.start()
        self.workers[i] = p

    def _start_compactor(self) -> None:
        p = self.ctx.Process(target=_compactor, name="hj212-compactor",
                             args=(self.root, self.cfg.lake, self.directory, self.cfg.compact_interval_s,
                                   self.cfg.dedup_window_s, self.cfg.node))
        p.start()
        self.compactor = p

    def run(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "workers-stopped").unlink(missing_ok=True)
        for i in range(self.n):
            (self.root / f"w{i}" / "wal").mkdir(parents=True, exist_ok=True)
        # bans and failure counts shared by the workers outlive a restart; open connections do not
        SharedGuard(self.root / "guard.db", "supervisor").db.execute("DELETE FROM conns")
        stopping = {"now": False}
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.update(now=True))
        for i in range(self.n):
            self._start_worker(i)
        self._start_compactor()
        last_status = 0.0
        while not stopping["now"]:
            for i, p in list(self.workers.items()):
                if not p.is_alive():
                    p.join()
                    log.warning("worker %d exited (%s); restarting", i, p.exitcode)
                    self.restarts += 1
                    self._start_worker(i)
            if self.compactor is not None and not self.compactor.is_alive():
                self.compactor.join()
                log.warning("compactor exited (%s); restarting", self.compactor.exitcode)
                self.restarts += 1
                self._start_compactor()
            if time.monotonic() - last_status > 2:
                self.write_status()
                last_status = time.monotonic()
            time.sleep(0.1)
        self.stop()

    def stop(self) -> None:
        for p in self.workers.values():
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)
        for p in self.workers.values():
            p.join(120)
        (self.root / "workers-stopped").write_text("1")
        if self.compactor is not None and self.compactor.is_alive():
            os.kill(self.compactor.pid, signal.SIGTERM)
            self.compactor.join(300)
        if self.compactor is None or self.compactor.exitcode != 0:   # killed meanwhile: a last pass here
            compact_all(self.root, Compactor(None, self.cfg.lake, self.directory,
                                             seen=_load_seen(self.root, self.cfg.dedup_window_s)), final=True,
                        node=self.cfg.node)
        self.write_status()

    def write_status(self) -> None:
        counters: dict[str, int] = {}
        workers = []
        for d in worker_dirs(self.root):
            try:
                st = json.loads((d / "status.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            workers.append({"dir": d.name, "pid": st.get("pid"), "updated_at": st.get("updated_at")})
            for k, v in st.get("counters", {}).items():
                if isinstance(v, int):
                    counters[k] = counters.get(k, 0) + v
        status = {"updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "port": self.cfg.port, "counters": counters,
                  "workers": workers, "supervisor_pid": os.getpid(), "restarts": self.restarts,
                  "compactor_pid": self.compactor.pid if self.compactor else None}
        tmp = self.root / "status.json.tmp"
        tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.root / "status.json")

