"""A parsed packet as compact bytes for the write-ahead log, so compaction (in the gateway or in
its own process) builds lake rows without parsing the HJ 212 text again. Pure: no I/O."""

from __future__ import annotations

import orjson

from .codec import Packet

_FIELDS = ("st", "cn", "pw", "mn", "qn", "flag", "pnum", "pno", "cp", "edition", "rf", "encrypted",
           "quirks", "data_len", "crc", "repeats")


def pack(p: Packet) -> bytes:
    # the fields of _FIELDS, in order (spelt out: this runs for every packet the gateway takes)
    return orjson.dumps((p.st, p.cn, p.pw, p.mn, p.qn, p.flag, p.pnum, p.pno, p.cp, p.edition, p.rf, p.encrypted,
                         p.quirks, p.data_len, p.crc, p.repeats))


def unpack(data: bytes) -> Packet:
    v = orjson.loads(data)
    p = Packet(*v[:12], tuple(v[12]), v[13], v[14], tuple(tuple(kv) for kv in v[15]))
    return p
