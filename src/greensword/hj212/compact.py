"""Compaction of sealed log segments into the monitoring lake.

Idempotent per segment: the lake files of segment n are named ``seg<n>-*.parquet``; a re-run
after a crash first removes whatever an interrupted run of the same segment left, then writes,
then replaces ``seg-<n>.log`` by ``seg-<n>.done`` (its dedup keys only). So a packet is in the
lake exactly once whether the process dies before, during or after compaction.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ..core.timeutil import TZ
from . import lake
from .codec import Packet, ParseError, Reassembler, parse
from .intake import Directory, dedup_key
from .packing import unpack
from .rows import packet_rows
from .wal import Record, SegmentLog, read_segment


def record_packet(rec: Record, directory: Directory) -> Packet | None:
    """The packet of a log record: its parsed form when the gateway stored one, else parsed
    again (older records, frames with NUL bytes)."""
    if rec.parsed is not None:
        try:
            return unpack(rec.parsed)
        except (ValueError, TypeError):
            pass
    try:
        return parse(rec.frame, tolerant=True, key_for=directory.key_for)
    except ParseError:
        return None     # cannot happen for frames the intake accepted; never block compaction


class Compactor:
    """``seen``: keys already in the lake (multi-process mode: one compactor for every worker's
    log, so a packet re-sent to another worker process is stored once)."""

    def __init__(self, log: SegmentLog, lake_root: Path, directory: Directory, *, seen: set[str] | None = None,
                 prefix: str = ""):
        self.log, self.lake_root, self.directory = log, Path(lake_root), directory
        self.seen = seen
        self.prefix = prefix
        self.reassembler = Reassembler()   # sub-packets may straddle segments
        self.rows_written = 0
        self.packets_compacted = 0

    def run_once(self, *, force: bool = False) -> int:
        """Seal the active segment if due (or ``force``) and compact every sealed one."""
        self.log.seal(force=force)
        n = 0
        for path in self.log.sealed():
            self.compact(path)
            n += 1
        return n

    def compact(self, path: Path) -> int:
        seg = SegmentLog.number(path)
        prefix = f"{self.prefix}seg{seg:012d}"
        records, _ = read_segment(path)
        rows: list[dict] = []
        keys: list[str] = []
        seen_rows: set[tuple] = set()
        new_keys: set[str] = set()   # joins self.seen only once this segment is done
        for rec in records:
            p = record_packet(rec, self.directory)
            if p is None:
                continue
            key = dedup_key(p)
            if self.seen is not None:
                if key in self.seen or key in new_keys:
                    continue         # stored from another worker's log (or an earlier segment)
                new_keys.add(key)
            keys.append(key)
            full = self.reassembler.add(p)
            if full is None:
                continue
            # the lake's times are Beijing wall-clock (lake.py), whatever the server's time zone
            received = datetime.fromtimestamp(rec.received_us / 1e6, TZ).replace(tzinfo=None)
            for row in packet_rows(full, received):
                k = (row["mn"], row["factor"], row["data_time"], row["kind"], row["backfill"])
                if k in seen_rows:
                    continue
                seen_rows.add(k)
                rows.append(row)
        self._remove_partial(prefix)
        lake.write_rows(self.lake_root, rows, prefix=prefix)
        done = path.with_suffix(".done")
        tmp = path.with_suffix(".done.tmp")
        tmp.write_text("\n".join(keys), encoding="utf-8")
        os.replace(tmp, done)
        path.unlink()
        if self.seen is not None:
            self.seen |= new_keys
        self.rows_written += len(rows)
        self.packets_compacted += len(records)
        return len(rows)

    def _remove_partial(self, prefix: str) -> None:
        for stale in self.lake_root.glob(f"*/date=*/{prefix}-*"):
            stale.unlink()


def load_keys(log: SegmentLog, directory: Directory, dedup, *, since_s: float) -> int:
    """Fill the dedup index after a restart: keys of compacted segments younger than the window
    and of every uncompacted record."""
    import time

    n = 0
    horizon = time.time() - since_s
    for done in log.segments(".done"):
        st = done.stat()
        if st.st_mtime < horizon:
            done.unlink()
            continue
        for key in done.read_text(encoding="utf-8").split("\n"):
            if key:
                dedup.add(key, st.st_mtime)
                n += 1
    for rec in log.records():
        p = record_packet(rec, directory)
        if p is None:
            continue
        dedup.add(dedup_key(p), rec.received_us / 1e6)
        n += 1
    return n
