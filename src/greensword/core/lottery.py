"""The SHA-256 "lottery ticket" behind every verifiable draw (the 双随机 inspection draw, the
case-file review draw): ``ticket(digest, label)`` = first 8 bytes of SHA-256(digest ‖ ":" ‖
label) as an integer, mapped to u in (0, 1) as (ticket + 0.5) / 2^64. No language-specific PRNG:
anyone can re-run a draw from its published seed and inputs."""

import hashlib


def ticket(digest: bytes, label: str) -> float:
    h = hashlib.sha256(digest + b":" + label.encode()).digest()
    return (int.from_bytes(h[:8], "big") + 0.5) / 2.0 ** 64
