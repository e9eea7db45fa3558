"""The gateway's durable, append-only packet log.

A packet is acknowledged only after its record is written *and* fsync'ed (group commit: every
packet that arrived while the previous fsync ran goes into the next one). Records:

    u32 length | u32 crc32(payload) | payload = i64 received_at_us | u16 peer_len | peer | frame
                                                [ | NUL | parsed packet ]

The optional parsed packet (``packing.pack``) lets compaction build lake rows without parsing
the frame again; a frame holding a NUL byte is stored without it (and re-parsed).

Segments ``seg-<n>.log`` roll over by size or age; only sealed segments are compacted into the
lake. Recovery drops a torn tail (a record cut by a crash before its fsync — never acknowledged)
and keeps everything before it. A compacted segment becomes ``seg-<n>.done`` holding only the
dedup keys, so a device's late re-send of an already stored MN + QN is still recognised.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_HEAD = struct.Struct(">II")
_META = struct.Struct(">qH")


@dataclass(slots=True)
class Record:
    received_us: int
    peer: str
    frame: bytes
    parsed: bytes | None = None


def encode(rec: Record) -> bytes:
    return encode_parts(rec.received_us, rec.peer, rec.frame, rec.parsed)


def encode_parts(received_us: int, peer: str, frame: bytes, parsed: bytes | None = None) -> bytes:
    """``encode`` without building a Record (the gateway's per-packet path)."""
    p = peer.encode()[:200]
    if parsed is not None and b"\0" not in frame:
        payload = b"".join((_META.pack(received_us, len(p)), p, frame, b"\0", parsed))
    else:
        payload = b"".join((_META.pack(received_us, len(p)), p, frame))
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def read_segment(path: Path) -> tuple[list[Record], int]:
    """Records of a segment and the byte offset where the valid prefix ends."""
    data = path.read_bytes()
    out: list[Record] = []
    pos = 0
    while pos + _HEAD.size <= len(data):
        length, crc = _HEAD.unpack_from(data, pos)
        end = pos + _HEAD.size + length
        if end > len(data) or length < _META.size:
            break
        payload = data[pos + _HEAD.size:end]
        if zlib.crc32(payload) != crc:
            break
        us, plen = _META.unpack_from(payload)
        peer = payload[_META.size:_META.size + plen].decode(errors="replace")
        frame, nul, parsed = payload[_META.size + plen:].partition(b"\0")
        out.append(Record(us, peer, frame, parsed if nul else None))
        pos = end
    return out, pos


class SegmentLog:
    """Single writer; ``append_batch`` is called from one committer thread at a time."""

    def __init__(self, root: Path, *, max_bytes: int = 64 << 20, max_age_s: float = 10.0, fsync: bool = True):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.max_age_s, self.fsync = max_bytes, max_age_s, fsync
        self._lock = threading.Lock()
        self._fh = None
        self._n = 0
        self._size = 0
        self._opened = 0.0
        self._recover()

    # -- segments ---------------------------------------------------------------------------
    def _path(self, n: int, suffix: str = ".log") -> Path:
        return self.root / f"seg-{n:012d}{suffix}"

    @staticmethod
    def number(path: Path) -> int:
        return int(path.name[4:16])

    def segments(self, suffix: str = ".log") -> list[Path]:
        return sorted(self.root.glob(f"seg-*{suffix}"))

    def _recover(self) -> None:
        """Cut a torn tail off every open segment; new writes go to a fresh segment."""
        last = 0
        for path in self.segments(".log") + self.segments(".done"):
            last = max(last, self.number(path))
        for path in self.segments(".log"):
            _, valid = read_segment(path)
            if valid != path.stat().st_size:
                with open(path, "r+b") as fh:
                    fh.truncate(valid)
                    os.fsync(fh.fileno())
        self._n = last

    def _roll(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._n += 1
        self._fh = open(self._path(self._n), "ab", buffering=0)
        self._size = 0
        self._opened = time.monotonic()
        if self.fsync:
            dfd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    # -- writing ----------------------------------------------------------------------------
    def append_batch(self, records: list[bytes]) -> None:
        """Write encoded records and make them durable before returning."""
        with self._lock:
            if self._fh is None or self._size >= self.max_bytes:
                self._roll()
            blob = b"".join(records)
            self._fh.write(blob)
            if self.fsync:
                os.fdatasync(self._fh.fileno())
            self._size += len(blob)

    def seal(self, *, force: bool = False) -> None:
        """Close the active segment if it is old enough (or ``force``) so it can be compacted."""
        with self._lock:
            if self._fh is None or self._size == 0:
                return
            if force or time.monotonic() - self._opened >= self.max_age_s:
                self._fh.close()
                self._fh = None

    def sealed(self) -> list[Path]:
        with self._lock:
            active = self._path(self._n) if self._fh is not None else None
        return [p for p in self.segments(".log") if p != active]

    def rotate(self) -> None:
        """Seal the active segment if due and open the next one at once, so that another process
        (the compactor) can tell sealed segments by number: all but the newest are sealed."""
        self.seal()
        with self._lock:
            if self._fh is None:
                self._roll()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def records(self) -> Iterator[Record]:
        for path in self.segments(".log"):
            yield from read_segment(path)[0]
