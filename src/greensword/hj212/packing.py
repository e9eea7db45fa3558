"""A parsed packet as compact bytes for the write-ahead log, so compaction (in the gateway or in
its own process) builds lake rows without parsing the HJ 212 text again. Pure: no I/O."""

from __future__ import annotations

import orjson

from .codec import Packet

_FIELDS = ("st", "cn", "pw", "mn", "qn", "flag", "pnum", "pno", "cp", "edition", "rf", "encrypted",
           "quirks", "data_len", "crc", "repeats")


def pack(p: Packet) -> bytes:
    return orjson.dumps([getattr(p, f) for f in _FIELDS])


def unpack(data: bytes) -> Packet:
    v = orjson.loads(data)
    p = Packet(*v[:12], tuple(v[12]), v[13], v[14], tuple(tuple(kv) for kv in v[15]))
    return p
