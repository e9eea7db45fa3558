"""Per-device HJ 212 state the gateway keeps beside the registry's monitoring points: which
edition a device speaks, whether tolerant mode is on for it (and the quirks it was caught
using), its 2025 SM4 key, and last-seen figures for the console."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..core.db import Base, TZDateTime


class Device(Base):
    __tablename__ = "hj212_device"

    mn: Mapped[str] = mapped_column(String(24), primary_key=True)
    #: Accept the known device quirks for this MN (switched on by an administrator).
    tolerant: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Hex of the 16-byte SM4 key for HJ 212-2025 encrypted CP areas.
    sm4_key: Mapped[str | None] = mapped_column(String(32))
    #: Edition of the last accepted packet: 2005 | 2017 | 2025.
    edition: Mapped[str | None] = mapped_column(String(4))
    #: Quirk name → {"count": packets accepted with it, "first": ISO time, "last": ISO time}
    #: (tolerant mode). Older rows hold a bare count; ``quirk_list`` reads both.
    quirks: Mapped[dict] = mapped_column(JSON, default=dict)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    last_seen_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_peer: Mapped[str | None] = mapped_column(String(64))

    def quirk_list(self) -> list[dict]:
        """Quirks as rows for the console, most frequent first."""
        out = []
        for name, v in (self.quirks or {}).items():
            v = v if isinstance(v, dict) else {"count": v}
            out.append({"name": name, "count": v.get("count", 0), "first": v.get("first"), "last": v.get("last")})
        return sorted(out, key=lambda q: -q["count"])
