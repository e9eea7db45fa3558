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


# --- PDFs: the first page drawn by PDFium in a child process ---------------------------------------

def pdf(*pages: tuple[int, int, tuple[int, int, int]]) -> bytes:
    """A PDF written by Pillow: one page per (width, height, colour), each with a red top-left
    quarter on the first page only."""
    imgs = []
    for i, (w, h, colour) in enumerate(pages or ((600, 800, (255, 255, 255)),)):
        img = Image.new("RGB", (w, h), colour)
        if i == 0:
            img.paste((220, 20, 20), (0, 0, w // 2, h // 4))
        imgs.append(img)
    out = io.BytesIO()
    imgs[0].save(out, "PDF", save_all=True, append_images=imgs[1:], resolution=72)
    return out.getvalue()


def handmade_pdf(media_box: str, content: bytes = b"0 0 1 rg 0 0 10 10 re f", resources: bytes = b"<<>>",
                 extra: list[bytes] = ()) -> bytes:
    """A one-page PDF written object by object, with a correct cross-reference table."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [" + media_box.encode() + b"] /Contents 4 0 R /Resources "
            + resources + b" >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream", *extra]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_first_page_is_a_small_jpeg():
    data = pdf((600, 800, (255, 255, 255)), (600, 800, (20, 20, 220)))
    t = thumbs.make_pdf(data)
    img = Image.open(io.BytesIO(t))
    assert img.format == "JPEG" and img.size == (240, 320)                 # the page's 3:4, longest side 320
    r, g, b = img.convert("RGB").getpixel((5, 5))                          # the first page's red corner,
    assert r > 150 and g < 90 and b < 90
    assert min(img.convert("RGB").getpixel((200, 300))) > 230             # not the blue second page
    wide = Image.open(io.BytesIO(thumbs.make_pdf(handmade_pdf("0 0 842 595"))))
    assert wide.size[0] == 320 and abs(wide.size[1] - 226) <= 1           # landscape A4
    # a page claiming to be 100 km wide is drawn no larger than any other
    huge = Image.open(io.BytesIO(thumbs.make_pdf(handmade_pdf("0 0 283464567 283464567"))))
    assert huge.size == (320, 320)


def test_broken_and_hostile_pdfs_give_none():
    good = pdf()
    bad = [b"", b"%PDF-1.4 not really", good[: len(good) // 2], b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
           handmade_pdf("0 0 10000 0.001"), good.replace(b"/Root 4 0 R", b"/Root 99 0 R"), photo((300, 200)),
           good.replace(b"%PDF-", b"%PDX-")]
    for data in bad:
        assert thumbs.make_pdf(data) is None, data[:40]
    # a box PDFium does not believe (empty, not a number) is drawn as its default page, still small
    for box in ("0 0 0 0", "0 0 nan 1", "-5 -5 -5 -5"):
        t = thumbs.make_pdf(handmade_pdf(box))
        assert t is None or max(Image.open(io.BytesIO(t)).size) <= thumbs.SIZE


def test_a_page_hiding_a_giant_image_is_refused_or_small():
    """A 20,000 × 20,000 image (400 MB decoded) in a 400 kB file: PDFium in the child either draws
    it down to the thumbnail or fails on its limits; the server only sees None or a small JPEG."""
    import zlib

    w = 20_000
    pixels = zlib.compressobj(1)
    body = b"".join(pixels.compress(bytes(w * 500)) for _ in range(w // 500)) + pixels.flush()
    image = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray " % (w, w) + \
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
    data = handmade_pdf("0 0 600 600", b"q 600 0 0 600 0 0 cm /Im1 Do Q", b"<< /XObject << /Im1 5 0 R >> >>",
                        [image])
    assert len(data) < 2_000_000
    t = thumbs.make_pdf(data)
    assert t is None or max(Image.open(io.BytesIO(t)).size) <= thumbs.SIZE


def test_a_child_that_hangs_crashes_or_lies_gives_none(monkeypatch):
    import sys
    import time

    data = pdf()
    for code in ("import time; time.sleep(60)", "import os; os.abort()",
                 "import sys; sys.stdout.buffer.write(b'GIF89a not a jpeg')",
                 "import sys, io; from PIL import Image; b = io.BytesIO(); Image.new('RGB', (2000, 10)).save(b, 'JPEG');"
                 " sys.stdout.buffer.write(b.getvalue())"):
        monkeypatch.setattr(thumbs, "_child_cmd", lambda kind, size, code=code: [sys.executable, "-c", code])
        monkeypatch.setattr(thumbs, "RENDER_TIMEOUT_S", 1.0)
        t0 = time.monotonic()
        assert thumbs.make_pdf(data) is None, code
        assert time.monotonic() - t0 < 10


def test_preview_by_type_made_once(tmp_path, monkeypatch):
    monkeypatch.setattr(thumbs, "_cache_dir", lambda: tmp_path)
    calls = []

    def original(data):
        def read():
            calls.append(1)
            return data
        return read

    doc = pdf()
    t = thumbs.preview("ef" * 32, "application/pdf", original(doc))
    assert Image.open(io.BytesIO(t)).format == "JPEG"
    assert thumbs.preview("ef" * 32, "application/pdf", original(doc)) == t and len(calls) == 1
    assert thumbs.preview("01" * 32, "application/pdf", original(b"%PDF-1.7 broken")) is None
    assert thumbs.preview("01" * 32, "application/pdf", original(b"%PDF-1.7 broken")) is None and len(calls) == 2
    assert thumbs.preview("23" * 32, "video/mp4", original(b"\x00\x00\x00\x18ftypmp42")) is None and len(calls) == 2
    assert thumbs.preview("45" * 32, "image/png", original(doc)) is None       # told a PNG, is a PDF: no preview
    assert thumbs.maker_for("application/pdf") is thumbs.make_pdf and thumbs.maker_for("image/jpeg") is thumbs.make
    assert thumbs.maker_for("video/mp4") is None and thumbs.maker_for("") is None
