"""Device protocol settings (tolerant mode, SM4 key, access password), audited like every other change."""

from __future__ import annotations

from ..core import audit
from ..core.auth import Actor
from ..core.db import session_scope
from ..core.errors import NotFound, ValidationFailed
from ..registry.models import new_device_password
from ..registry.service import point_by_mn, set_point_password
from .models import Device


def set_device(mn: str, *, tolerant: bool | None = None, sm4_key: str | None = None,
               actor: Actor | None = None, session=None) -> Device:
    actor = actor or Actor.system("cli")
    if sm4_key:
        try:
            if len(bytes.fromhex(sm4_key)) != 16:
                raise ValueError
        except ValueError as exc:
            raise ValidationFailed("SM4 密钥应为 32 位十六进制数（16 字节）", code="hj212.bad_key") from exc

    def apply(s) -> Device:
        if point_by_mn(s, mn) is None:
            raise NotFound(f"监测点名录中没有设备 MN={mn}", code="hj212.unknown_mn")
        d = s.get(Device, mn) or Device(mn=mn, tolerant=False, quirks={}, accepted=0, rejected=0)
        changes = {}
        if tolerant is not None and d.tolerant != tolerant:
            changes["tolerant"] = tolerant
            d.tolerant = tolerant
        if sm4_key is not None:
            d.sm4_key = sm4_key.upper() or None
            changes["sm4_key"] = "已设置" if sm4_key else "已清除"   # never log the key itself
        s.add(d)
        if changes:
            audit.record(s, actor, "hj212.device.update", "hj212_device", mn, changes)
        return d

    if session is not None:
        return apply(session)
    with session_scope() as s:
        return apply(s)


def rotate_password(mn: str, *, pw: str | None = None, actor: Actor | None = None, session=None) -> str:
    """Give one device a new access password (random, of the security rules' length, unless
    ``pw`` is given) and return it; the gateway takes it up at its next directory reload. The
    old password stops working then: set the new one on the data logger first."""
    from .security import rules

    actor = actor or Actor.system("cli")
    new = pw or new_device_password(rules().password_length)
    if session is not None:
        return set_point_password(session, actor, mn, new)
    with session_scope() as s:
        return set_point_password(s, actor, mn, new)
