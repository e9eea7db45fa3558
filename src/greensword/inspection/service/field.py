"""What the officer's phone adds to an on-site record: the GPS position (navigator.geolocation)
and drawn signatures (a PNG from the signature pad, checked and stored content-addressed), and
how evidence files are served back (type told from the bytes, not from the client)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...core import png
from ...core.errors import NotFound, ValidationFailed
from ...core.storage import ContentStore
from ...core.timeutil import now

SIGNATURES = ContentStore(area="signatures", suffix=".png")

#: a signature pad exports about 480×180; these bound what the server decodes
SIGNATURE_MAX_BYTES = 200 * 1024
SIGNATURE_MAX_PIXELS = 200_000
#: ink a signature needs: dark pixels, and the extent of the strokes (a dot or a tick is not one)
SIGNATURE_MIN_INK = 60
SIGNATURE_MIN_EXTENT = 30
SIGNATURE_MAX_INK_SHARE = 0.5

#: a phone's fix is metres to tens of metres; a network/IP guess is kilometres
GPS_MAX_ACCURACY_M = 10_000.0
GPS_LOW_ACCURACY_M = 100.0
GPS_MAX_AGE = timedelta(days=3)
GPS_MAX_AHEAD = timedelta(minutes=10)


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    accuracy_m: float
    captured_at: datetime


def _number(value, what: str) -> float:
    try:
        x = float(str(value).strip())
    except ValueError:
        raise ValidationFailed(f"{what}“{value}”不是数字", code="inspection.bad_gps") from None
    if not math.isfinite(x):
        raise ValidationFailed(f"{what}不是有效数字", code="inspection.bad_gps")
    return x


def position(lat, lon, accuracy, captured_at, *, at: datetime | None = None) -> Position | None:
    """The position sent with a saved record, or None when none was captured. Ranges: latitude
    −90…90, longitude −180…180, accuracy 0–10 km, captured no more than 3 days before ``at``
    (now) and not in the future."""
    given = [v for v in (lat, lon, accuracy, captured_at) if v not in (None, "")]
    if not given:
        return None
    if len(given) < 4:
        raise ValidationFailed("定位信息不完整：须同时有纬度、经度、精度和定位时间，请重新获取定位",
                               code="inspection.bad_gps")
    la, lo, acc = _number(lat, "纬度"), _number(lon, "经度"), _number(accuracy, "定位精度")
    if not -90 <= la <= 90:
        raise ValidationFailed(f"纬度 {la} 超出 −90～90 度", code="inspection.bad_gps")
    if not -180 <= lo <= 180:
        raise ValidationFailed(f"经度 {lo} 超出 −180～180 度", code="inspection.bad_gps")
    if not 0 < acc <= GPS_MAX_ACCURACY_M:
        raise ValidationFailed(f"定位精度 {acc:g} 米无效（应大于 0 且不超过 {GPS_MAX_ACCURACY_M:,.0f} 米）",
                               code="inspection.bad_gps")
    if isinstance(captured_at, datetime):
        when = captured_at
    else:
        try:
            when = datetime.fromisoformat(str(captured_at).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationFailed(f"定位时间“{captured_at}”格式无效", code="inspection.bad_gps") from None
    if when.tzinfo is None:
        raise ValidationFailed("定位时间须带时区", code="inspection.bad_gps")
    at = at or now()
    if when > at + GPS_MAX_AHEAD:
        raise ValidationFailed("定位时间晚于当前时间，请检查手机时钟后重新定位", code="inspection.bad_gps")
    if when < at - GPS_MAX_AGE:
        raise ValidationFailed("定位时间早于 3 天前，请在检查现场重新获取定位", code="inspection.bad_gps")
    return Position(round(la, 7), round(lo, 7), round(acc, 1), when)


def check_signature(data: bytes) -> png.Ink:
    """A drawn signature: a real PNG within the size limits with strokes on it."""
    if not data:
        raise ValidationFailed("没有收到签名图像，请在签名框内手写签名", code="inspection.signature_missing")
    try:
        ink = png.ink(data, max_bytes=SIGNATURE_MAX_BYTES, max_pixels=SIGNATURE_MAX_PIXELS, max_side=1200)
    except ValidationFailed as exc:
        raise ValidationFailed(f"签名图像无效：{exc.message}", code="inspection.signature_invalid") from None
    w, h = ink.box_size
    if ink.pixels < SIGNATURE_MIN_INK or max(w, h) < SIGNATURE_MIN_EXTENT:
        raise ValidationFailed("签名为空或笔画过少，请在签名框内手写完整签名", code="inspection.signature_empty")
    if ink.pixels > SIGNATURE_MAX_INK_SHARE * ink.width * ink.height:
        raise ValidationFailed("签名图像大面积涂黑，不是有效签名，请清除后重签", code="inspection.signature_invalid")
    return ink


def signature_png(signatures: list[dict], sha: str) -> bytes:
    if not any(s.get("sha256") == sha for s in signatures):
        raise NotFound("该记录没有这个签名", code="inspection.signature_not_found")
    return SIGNATURES.read(sha, code="inspection.signature_tampered", what="签名图像")


def kind_of(mime: str) -> str:
    """image | pdf | video | file — how the record page shows a piece of evidence."""
    if mime.startswith("image/"):
        return "image"
    if mime == "application/pdf":
        return "pdf"
    if mime.startswith("video/"):
        return "video"
    return "file"
