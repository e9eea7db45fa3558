"""Photo previews and what a photo's EXIF says: upright thumbnails within the size, transparent
images flattened, corrupt and oversized images refused without decoding, GPS signs by hemisphere,
and the derived files made once."""

import io
import struct
import zlib

import pytest
from PIL import Image

from greensword.core import thumbs


def photo(size=(4000, 3000), *, orientation=None, gps=None, taken=None, device=None, fmt="JPEG") -> bytes:
    img = Image.new("RGB", size, (30, 120, 60))
    img.paste((220, 20, 20), (0, 0, size[0] // 4, size[1] // 4))      # a red top-left corner
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if device:
        exif[271], exif[272] = device
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if gps:
        (lat_ref, lat), (lon_ref, lon) = gps
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = lat_ref, lat, lon_ref, lon
    out = io.BytesIO()
    img.save(out, fmt, exif=exif)
    return out.getvalue()


def test_thumbnail_is_small_upright_jpeg():
    data = photo(orientation=6)                       # stored landscape, shown portrait (phone held upright)
    t = thumbs.make(data)
    img = Image.open(io.BytesIO(t))
    assert img.format == "JPEG" and max(img.size) == thumbs.SIZE and img.size[1] > img.size[0]
    # turned 90° clockwise: the red corner is now top-right
    r, g, b = img.convert("RGB").getpixel((img.size[0] - 5, 5))
    assert r > 150 and g < 90
    assert len(t) < len(data) / 10
    small = thumbs.make(photo((200, 100)))
    assert Image.open(io.BytesIO(small)).size == (200, 100)       # never enlarged


def test_transparent_png_is_flattened_on_white():
    img = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    t = Image.open(io.BytesIO(thumbs.make(out.getvalue())))
    assert t.mode == "RGB" and min(t.getpixel((25, 25))) > 240


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _grey_png(w: int, h: int, pixels: bool) -> bytes:
    idat = _chunk(b"IDAT", zlib.compress((b"\x00" + bytes(w)) * h, 1)) if pixels else b""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + idat
            + _chunk(b"IEND", b""))


def test_bad_and_oversized_images_give_none():
    jpeg_head = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
    for bad in (b"", b"%PDF-1.4 not an image", jpeg_head, photo((300, 200))[:400], _grey_png(100, 100, False)):
        assert thumbs.make(bad) is None
    assert thumbs.facts(b"%PDF-1.4") is None
    assert thumbs.make(_grey_png(100, 100, True)) is not None
    # a valid 81-megapixel greyscale PNG of 350 kB: below Pillow's own bomb warning, above ours
    bomb = _grey_png(9000, 9000, True)
    assert len(bomb) < 1_000_000 and thumbs.make(bomb) is None and thumbs.facts(bomb) is None


def test_facts_from_exif():
    f = thumbs.facts(photo(orientation=8, gps=(("N", (30.0, 16.0, 30.0)), ("E", (120.0, 9.0, 0.0))),
                           taken="2026:03:02 10:15:30", device=("HUAWEI", "P60")))
    assert (f.width, f.height) == (3000, 4000)
    assert f.taken_at == "2026-03-02 10:15:30" and f.device == "HUAWEI P60"
    assert f.lat == pytest.approx(30.275) and f.lon == pytest.approx(120.15)
    f = thumbs.facts(photo((64, 48), gps=(("S", (33.0, 52.0, 0.0)), ("W", (70.0, 30.0, 0.0)))))
    assert f.lat == pytest.approx(-33.8667, abs=1e-4) and f.lon == pytest.approx(-70.5)
    # nothing recorded, or an all-zero GPS block some cameras write before a fix
    f = thumbs.facts(photo((64, 48), gps=(("N", (0.0, 0.0, 0.0)), ("E", (0.0, 0.0, 0.0))), taken="0000:00:00 00:00:00"))
    assert (f.lat, f.lon, f.taken_at, f.device, f.width) == (None, None, None, None, 64)


def test_distance():
    assert thumbs.distance_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    assert thumbs.distance_m(30.2741, 120.1551, 30.2741, 120.1551) == 0
    assert thumbs.distance_m(30.0, 120.0, 30.0, 120.01) == pytest.approx(963, rel=1e-2)


def test_derived_files_are_made_once(tmp_path, monkeypatch):
    monkeypatch.setattr(thumbs, "_cache_dir", lambda: tmp_path)
    calls = []

    def original(data):
        def read():
            calls.append(1)
            return data
        return read

    good = photo((800, 600), taken="2026:01:05 08:00:00")
    t1 = thumbs.cached("ab" * 32, original(good))
    assert thumbs.cached("ab" * 32, original(good)) == t1 and len(calls) == 1
    assert thumbs.cached_facts("ab" * 32, original(good)).taken_at == "2026-01-05 08:00:00"
    assert thumbs.cached_facts("ab" * 32, original(good)).width == 800 and len(calls) == 2
    assert thumbs.cached("cd" * 32, original(b"garbage")) is None
    assert thumbs.cached("cd" * 32, original(b"garbage")) is None and len(calls) == 3   # not decoded again
    assert thumbs.cached_facts("cd" * 32, original(b"garbage")) is None
    assert thumbs.cached("ab" * 32, original(good), size=64) != t1                   # another size, another file
