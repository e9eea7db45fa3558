"""Packet dump files: one HJ 212 packet per line (used by ``hj212 parse|import`` and ``offsite screen``)."""


def split_lines(data: bytes, crlf: str = "auto") -> list[bytes]:
    """One packet per line. ``auto``: in a file whose lines end in CRLF, a line without CR is a
    packet that lacks its terminator; in an LF-only file, LF is just the line end and the
    packet's CRLF is restored. ``keep``: lines as they are; ``add``: always restore CRLF."""
    lines = [ln for ln in data.split(b"\n")]
    if lines and lines[-1] == b"":
        lines.pop()
    has_lf = [i < len(lines) - 1 or data.endswith(b"\n") for i in range(len(lines))]
    if crlf == "auto":
        crlf = "keep" if any(ln.endswith(b"\r") for ln in lines) else "add"
    out = []
    for ln, lf in zip(lines, has_lf, strict=True):
        if not ln.strip():
            continue
        if crlf == "add":
            out.append(ln.rstrip(b"\r") + b"\r\n")
        else:
            out.append(ln + (b"\n" if lf else b""))
    return out
