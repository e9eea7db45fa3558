"""The PROXY protocol (HAProxy, versions 1 and 2): a TCP load balancer sends, before the device's
bytes, the address the device connected from. The gateway reads it only from balancers it trusts
(``GatewayConfig.trusted_proxies``), so bans and per-address caps apply to the device's real
address instead of the balancer's. Pure: bytes in, result out.

Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
"""

from __future__ import annotations

import ipaddress
import struct

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
V1_PREFIX = b"PROXY "
V1_MAX = 107                 # the longest v1 line, CRLF included
V2_MAX = 16 + 4096           # header + the address block and TLVs we are willing to read


class ProxyHeaderError(ValueError):
    pass


def parse(buf: bytes | bytearray) -> tuple[int, str | None, int | None] | None:
    """``(header length, source address, source port)`` of the PROXY header at the start of
    ``buf``; the address is None for a balancer's own connection (v1 UNKNOWN, v2 LOCAL, or a
    non-IP family). None: not all of the header has arrived. Raises ProxyHeaderError when the
    bytes are not a PROXY header."""
    if buf[:1] == b"P":
        if not V1_PREFIX.startswith(bytes(buf[:6])):
            raise ProxyHeaderError("not a PROXY v1 header")
        end = buf.find(b"\r\n", 0, V1_MAX)
        if end < 0:
            if len(buf) >= V1_MAX:
                raise ProxyHeaderError("PROXY v1 line too long")
            return None
        parts = bytes(buf[:end]).decode("ascii", errors="replace").split(" ")
        if len(parts) >= 2 and parts[1] == "UNKNOWN":
            return end + 2, None, None
        if len(parts) != 6 or parts[1] not in ("TCP4", "TCP6"):
            raise ProxyHeaderError(f"bad PROXY v1 line {parts[:2]}")
        try:
            src = ipaddress.ip_address(parts[2])
            ipaddress.ip_address(parts[3])
            sport, dport = int(parts[4]), int(parts[5])
        except ValueError as exc:
            raise ProxyHeaderError(f"bad PROXY v1 address: {exc}") from exc
        if (src.version == 4) != (parts[1] == "TCP4") or not (0 <= sport <= 65535 and 0 <= dport <= 65535):
            raise ProxyHeaderError("PROXY v1 address does not fit its family")
        return end + 2, str(src), sport
    if buf[:1] == b"\r":
        head = bytes(buf[:12])
        if not V2_SIGNATURE.startswith(head):
            raise ProxyHeaderError("not a PROXY v2 signature")
        if len(buf) < 16:
            return None
        ver_cmd, fam, length = buf[12], buf[13], struct.unpack_from(">H", buf, 14)[0]
        if ver_cmd >> 4 != 2 or (ver_cmd & 0xF) > 1:
            raise ProxyHeaderError("PROXY v2 version/command not supported")
        total = 16 + length
        if total > V2_MAX:
            raise ProxyHeaderError("PROXY v2 header too long")
        if len(buf) < total:
            return None
        if ver_cmd & 0xF == 0:                                 # LOCAL: the balancer's own check
            return total, None, None
        if fam >> 4 == 1 and length >= 12:                     # AF_INET
            return total, str(ipaddress.IPv4Address(bytes(buf[16:20]))), struct.unpack_from(">H", buf, 24)[0]
        if fam >> 4 == 2 and length >= 36:                     # AF_INET6
            return total, str(ipaddress.IPv6Address(bytes(buf[16:32]))), struct.unpack_from(">H", buf, 48)[0]
        if fam >> 4 in (0, 3):                                 # unspecified / unix socket
            return total, None, None
        raise ProxyHeaderError("PROXY v2 address block too short for its family")
    raise ProxyHeaderError("no PROXY header")


def v1(src: str, sport: int, dst: str = "127.0.0.1", dport: int = 9212) -> bytes:
    fam = "TCP6" if ":" in src else "TCP4"
    return f"PROXY {fam} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src: str, sport: int, dst: str = "127.0.0.1", dport: int = 9212) -> bytes:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        block = s.packed + d.packed + struct.pack(">HH", sport, dport)
        fam = 0x11
    else:
        block = s.packed + ipaddress.IPv6Address(int(d) if d.version == 6 else 0).packed + struct.pack(">HH", sport, dport)
        fam = 0x21
    return V2_SIGNATURE + bytes((0x21, fam)) + struct.pack(">H", len(block)) + block


class Trusted:
    """The balancer addresses (single addresses or networks) whose PROXY headers are believed."""

    def __init__(self, entries: tuple[str, ...] | list[str] = ()):
        self.nets = [ipaddress.ip_network(e, strict=False) for e in entries]

    def __bool__(self) -> bool:
        return bool(self.nets)

    def __contains__(self, host: str) -> bool:
        try:
            a = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(a in n for n in self.nets)
