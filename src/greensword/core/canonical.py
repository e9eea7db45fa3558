"""Canonical JSON and SHA-256: the one way the platform digests a value.

The audit chain digests each entity's state with it, the 双随机 draw publishes the hashes of its
frozen inputs and result with it, and the review draw does the same; anyone can recompute them
in any language (the draws' lottery tickets are in core.lottery): JSON with keys sorted, no spaces, UTF-8 (not ASCII-escaped); dates and times as
ISO 8601 strings, decimals as strings, sets as sorted lists.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode()


def sha256_hex(value: Any) -> str:
    """SHA-256 (hex) of raw bytes, or of the canonical JSON of any other value (None → "null")."""
    return hashlib.sha256(value if isinstance(value, bytes) else canonical_bytes(value)).hexdigest()

