"""``greensword hj212 import``: a file of packets into the lake through the gateway's intake
(same parsing, MN + PW check and duplicate recognition). The imported packets' keys join the
gateway's dedup record so a device re-sending them later is not stored twice."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from ..core.timeutil import now
from . import lake
from .codec import Reassembler
from .compact import load_keys
from .intake import DedupIndex, Directory, Intake
from .rows import packet_rows
from .wal import SegmentLog


@dataclass
class ImportResult:
    accepted: int = 0
    duplicates: int = 0
    rows: int = 0
    rejected: Counter = field(default_factory=Counter)
    errors: list[tuple[int, str, str]] = field(default_factory=list)   # (line, code, message)


def import_frames(frames: list[bytes], *, tolerant_all: bool = False, engine=None,
                  directory: Directory | None = None) -> ImportResult:
    from ..core.db import get_engine, session_scope
    from ..settings import get_settings

    s = get_settings()
    if directory is None:
        with session_scope(engine or get_engine()) as session:
            directory = Directory.from_db(session)
    if tolerant_all:
        for d in directory.devices.values():
            d.tolerant = True
    wal = SegmentLog(s.data_dir / "gateway" / "wal")
    dedup = DedupIndex()
    load_keys(wal, directory, dedup, since_s=dedup.window_s)
    intake = Intake(directory, dedup)
    result = ImportResult()
    reasm = Reassembler()
    rows: list[dict] = []
    keys: list[str] = []
    received = now().replace(tzinfo=None)           # Beijing wall-clock, as the lake keeps times
    for i, frame in enumerate(frames, 1):
        v = intake.check(frame)
        if v.status == "rejected":
            result.rejected[v.code] += 1
            result.errors.append((i, v.code, v.message))
            continue
        if v.status == "duplicate":
            result.duplicates += 1
            continue
        result.accepted += 1
        dedup.add(v.key)
        keys.append(v.key)
        full = reasm.add(v.packet)
        if full is not None:
            rows.extend(packet_rows(full, received))
    stamp = received.strftime("%Y%m%d%H%M%S%f")
    lake.write_rows(s.lake_path, rows, prefix=f"import{stamp}")
    result.rows = len(rows)
    if keys:
        tmp = wal.root / f"seg-{0:012d}-import{stamp}.tmp"
        tmp.write_text("\n".join(keys), encoding="utf-8")
        os.replace(tmp, wal.root / f"seg-{0:012d}-import{stamp}.done")
    wal.close()
    return result
