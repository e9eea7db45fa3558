"""The HJ 212 CRC16 (standard appendix): crc=0xFFFF; per byte crc=(crc>>8)^b, then 8 reflected
shifts with 0xA001. Because the shifts only see the low byte, each step is ``T[(crc>>8)^b]`` with
the usual 0xA001 table; we fold two bytes per step (a 64 Ki table) to halve the Python loop.

It is *not* CRC-16/MODBUS (``crc ^= b``); ``modbus`` is kept because real devices send it and
tolerant mode names that quirk.
"""

from array import array


def _table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        table.append(c)
    return table


T = _table()
# T2[w] = result of two single-byte steps from high byte 0 over w's little-endian bytes.
T2 = [T[(T[w & 0xFF] >> 8) ^ (w >> 8)] for w in range(65536)]
_LITTLE = array("H", b"\x01\x00")[0] == 1


def crc16(data: bytes) -> int:
    c = 0xFFFF
    n = len(data)
    if n >= 2 and _LITTLE:
        words = array("H")
        words.frombytes(data[: n & ~1])
        t2 = T2
        for w in words:
            c = t2[(c >> 8) ^ w]
        if n & 1:
            c = T[(c >> 8) ^ data[-1]]
        return c
    for b in data:
        c = T[(c >> 8) ^ b]
    return c


def modbus(data: bytes) -> int:
    c = 0xFFFF
    for b in data:
        c = (c >> 8) ^ T[(c ^ b) & 0xFF]
    return c


def crc_text(data: bytes) -> str:
    return f"{crc16(data):04X}"
