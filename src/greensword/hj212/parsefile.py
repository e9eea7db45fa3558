"""``greensword hj212 parse``: a packet dump (one packet per line) → one JSON object per line,
the decoded packet or the error. Shared by the full command line (hj212/cli.py) and the light
start-up path (greensword/launch.py), which runs it without importing every domain's CLI."""

from __future__ import annotations

from collections import Counter
from typing import BinaryIO

from .codec import QUIRKS, ParseError, decode_json
from .dump import split_lines

#: JSON lines written per ``write`` call.
BATCH = 2000


def _dumps():
    """orjson (a pinned dependency, ≈5× faster than json here); the standard library otherwise.
    Both write UTF-8 with non-ASCII as is."""
    try:
        import orjson

        return orjson.dumps
    except ImportError:          # pragma: no cover
        import json

        return lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_dump(data: bytes, out: BinaryIO, *, tolerant: bool = False, crlf: str = "auto") -> Counter[str]:
    """Write the JSON lines of every packet in ``data`` to ``out``; returns the quirk counts
    (tolerant mode)."""
    dumps = _dumps()
    seen: Counter[str] = Counter()
    chunk: list[bytes] = []
    for line in split_lines(data, crlf):
        try:
            packet = decode_json(line, tolerant=tolerant)
        except ParseError as exc:
            chunk.append(dumps({"ok": False, "error": {"code": exc.code, "message": exc.message}}))
        else:
            if tolerant:
                seen.update(packet["quirks"])
            chunk.append(dumps({"ok": True, "packet": packet}))
        if len(chunk) >= BATCH:
            chunk.append(b"")
            out.write(b"\n".join(chunk))
            chunk.clear()
    if chunk:
        chunk.append(b"")
        out.write(b"\n".join(chunk))
    out.flush()
    return seen


def quirk_summary(seen: Counter[str]) -> list[str]:
    """The zh-CN summary lines printed to stderr after a tolerant parse."""
    if not seen:
        return []
    return ["宽容模式接受的设备偏差（quirks）："] + [f"  {name}  {n} 包  {QUIRKS.get(name, '')}"
                                                for name, n in seen.most_common()]
