"""A strict reader for small PNG images (drawn signatures): checks the file is a real PNG —
signature, chunk CRCs, IHDR, one IDAT stream, IEND — decodes its pixels (8-bit grey, grey+alpha,
RGB or RGBA, not interlaced) and measures the ink on it. No image library is needed; rows
filtered with None/Sub/Up (what browsers' canvas encoders write) decode with numpy, Average and
Paeth rows with a plain loop, so the pixel count is capped.

Every refusal is a ``ValidationFailed`` with a zh-CN message naming the defect."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from .errors import ValidationFailed

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: colour type → channels (8-bit only)
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


@dataclass(frozen=True)
class Ink:
    width: int
    height: int
    pixels: int                 # dark, opaque pixels
    box: tuple[int, int, int, int] | None   # x0, y0, x1, y1 of the ink (inclusive)

    @property
    def box_size(self) -> tuple[int, int]:
        if self.box is None:
            return (0, 0)
        return (self.box[2] - self.box[0] + 1, self.box[3] - self.box[1] + 1)


def _fail(message: str, code: str = "png.invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code)


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise _fail("不是 PNG 图片（文件头不符）", "png.not_png")
    out, pos = [], len(SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise _fail("PNG 文件不完整（数据块被截断）")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 8 + length + 4
        if length > 1 << 24 or end > len(data):
            raise _fail("PNG 文件不完整（数据块长度越界）")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise _fail(f"PNG 数据块 {kind.decode('latin-1')!r} 校验码错误（文件损坏）")
        out.append((kind, body))
        pos = end
        if kind == b"IEND":
            break
    if not out or out[0][0] != b"IHDR":
        raise _fail("PNG 缺少文件头数据块 IHDR")
    if out[-1][0] != b"IEND":
        raise _fail("PNG 缺少结束数据块 IEND（文件不完整）")
    return out


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> np.ndarray:
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise _fail("PNG 像素数据长度与图片尺寸不符")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        ftype, line = int(rows[y, 0]), rows[y, 1:]
        if ftype == 0:
            cur = line.copy()
        elif ftype == 1:        # Sub: running sum per channel
            cur = (np.cumsum(line.reshape(width, bpp).astype(np.uint32), axis=0) & 0xFF).astype(np.uint8).ravel()
        elif ftype == 2:        # Up
            cur = line + prev
        elif ftype in (3, 4):
            cur = bytearray(line.tobytes())
            up = prev.tobytes()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = up[i]
                if ftype == 3:
                    cur[i] = (cur[i] + ((a + b) >> 1)) & 0xFF
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            cur = np.frombuffer(bytes(cur), dtype=np.uint8)
        else:
            raise _fail(f"PNG 第 {y + 1} 行的过滤类型 {ftype} 无效")
        out[y] = cur
        prev = cur
    return out


def ink(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int = 2000) -> Ink:
    """Check ``data`` is a PNG within the limits and measure its ink: pixels that are opaque
    (alpha ≥ 128) and dark (luminance < 160) — strokes on a white or transparent pad."""
    if len(data) > max_bytes:
        raise _fail(f"图片 {len(data) // 1024} KB，超过 {max_bytes // 1024} KB 上限", "png.too_big")
    parts = chunks(data)
    ihdr = parts[0][1]
    if len(ihdr) != 13:
        raise _fail("PNG 文件头数据块长度错误")
    width, height, depth, ctype, compression, filtering, interlace = struct.unpack(">IIBBBBB", ihdr)
    if not (0 < width <= max_side and 0 < height <= max_side) or width * height > max_pixels:
        raise _fail(f"图片尺寸 {width}×{height} 超出上限（不超过 {max_pixels} 像素，单边不超过 {max_side}）",
                    "png.too_large")
    if depth != 8 or ctype not in CHANNELS or compression or filtering or interlace:
        raise _fail("签名图片须为 8 位灰度/RGB/RGBA、非隔行扫描的 PNG", "png.unsupported")
    bpp = CHANNELS[ctype]
    expected = height * (width * bpp + 1)
    stream = b"".join(body for kind, body in parts if kind == b"IDAT")
    if not stream:
        raise _fail("PNG 没有图像数据（缺少 IDAT）")
    try:
        d = zlib.decompressobj()
        raw = d.decompress(stream, expected + 1)        # never inflate more than the image can hold
    except zlib.error:
        raise _fail("PNG 图像数据无法解压（文件损坏）") from None
    pix = _unfilter(raw, width, height, bpp).reshape(height, width, bpp).astype(np.int32)
    if bpp in (1, 2):
        lum, alpha = pix[..., 0], (pix[..., 1] if bpp == 2 else np.full((height, width), 255))
    else:
        lum = (pix[..., 0] * 299 + pix[..., 1] * 587 + pix[..., 2] * 114) // 1000
        alpha = pix[..., 3] if bpp == 4 else np.full((height, width), 255)
    mask = (alpha >= 128) & (lum < 160)
    n = int(mask.sum())
    if not n:
        return Ink(width, height, 0, None)
    ys, xs = np.nonzero(mask)
    return Ink(width, height, n, (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())))
