"""Thumbnails of evidence (photos with Pillow, a PDF's first page with pypdfium2) and capture facts
of photos. Videos keep their type icon.

A page listing evidence shows small previews instead of the originals (a phone photo is 3–8 MB; a
record page with a dozen of them took tens of MB over a field connection). A thumbnail is derived
data: it is made from the verified original, turned upright by its EXIF orientation, stored once
under ``thumbs/`` next to the evidence (named by the original's SHA-256 and the size) and re-made
if lost. The original stays the evidence; nothing here changes it.

What the camera wrote into the photo (capture time, GPS position, device) is read for the
officer to compare with the record — a photo taken far from the inspection site or days before it
is worth noticing. Those facts are what the file claims, not proof.

A PDF is drawn by a C library (PDFium) in a child process with limits on CPU,
memory and time (:mod:`greensword.core.render_child`): a broken or hostile file gives no preview
(the 无法预览 placeholder), never a crashed or hung server. Photos are decoded here, bounded by
their header's pixel count before any pixel is decoded.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import threading
import warnings
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

#: longest side of a thumbnail, in pixels (CSS shows it at up to half that on a 2× screen)
SIZE = 320
#: images with more pixels than this are not decoded at all (a 20,000 × 20,000 PNG of one colour
#: is a few kB on disk and 1.6 GB in memory); 60 MP is above any phone camera's output
MAX_PIXELS = 60_000_000

_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DATETIME_ORIGINAL, _DATETIME, _MAKE, _MODEL = 36867, 306, 271, 272


@dataclass(frozen=True)
class PhotoFacts:
    width: int
    height: int
    taken_at: str | None = None       # "YYYY-MM-DD HH:MM:SS" as the camera's clock wrote it
    lat: float | None = None
    lon: float | None = None
    device: str | None = None


def _open(data: bytes) -> Image.Image | None:
    """The image header parsed (pixels not decoded yet), or None when it is not an image Pillow
    can read or is too large to decode safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        return None
    w, h = img.size
    if w <= 0 or h <= 0 or w * h > MAX_PIXELS:
        return None
    return img


def make(data: bytes, size: int = SIZE) -> bytes | None:
    """A JPEG of at most ``size`` × ``size`` pixels, upright; None when ``data`` is not a
    decodable image (corrupt, truncated, unsupported or too large)."""
    img = _open(data)
    if img is None:
        return None
    try:
        if img.format == "JPEG":
            img.draft("RGB", (size * 2, size * 2))       # let libjpeg decode at 1/2…1/8 scale
        img = ImageOps.exif_transpose(img)
        img.thumbnail((size, size), Image.Resampling.LANCZOS)
        if img.mode in ("RGBA", "LA", "P", "PA"):
            img = img.convert("RGBA")
            flat = Image.new("RGB", img.size, (255, 255, 255))
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        elif img.mode != "RGB":
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, "JPEG", quality=80, optimize=True)
        return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def _ratio(v) -> float:
    return float(v[0]) / float(v[1]) if isinstance(v, tuple) else float(v)


def _degrees(dms, ref) -> float | None:
    try:
        d, m, s = (_ratio(x) for x in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref).strip().upper() in ("S", "W"):
        value = -value
    return value if math.isfinite(value) else None


def _taken_at(raw) -> str | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S").strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def facts(data: bytes) -> PhotoFacts | None:
    """What the photo's EXIF says about when, where and with what it was taken (each may be
    missing); None when ``data`` is not a readable image."""
    img = _open(data)
    if img is None:
        return None
    w, h = img.size
    try:
        exif = img.getexif()
        if exif.get(0x0112) in (5, 6, 7, 8):             # stored sideways: report the upright size
            w, h = h, w
        sub = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return PhotoFacts(w, h)
    lat = _degrees(gps.get(2), gps.get(1)) if gps.get(2) else None
    lon = _degrees(gps.get(4), gps.get(3)) if gps.get(4) else None
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        lat = lon = None
    if (lat, lon) == (0.0, 0.0):                          # an unset GPS block, not the Gulf of Guinea
        lat = lon = None
    device = " ".join(str(exif.get(t) or "").strip().rstrip("\x00") for t in (_MAKE, _MODEL)).strip() or None
    return PhotoFacts(w, h, _taken_at(sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)),
                      lat if lon is not None else None, lon if lat is not None else None, device)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine on a 6,371 km sphere: within 0.5 % — plenty
    for "taken near the site or not")."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


# --- derived files, kept beside the evidence -------------------------------------------------------

def _cache_dir() -> Path:
    from ..settings import get_settings

    return get_settings().evidence_path / "thumbs"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def cached(sha: str, original, size: int = SIZE, *, maker=None) -> bytes | None:
    """The thumbnail of the file whose SHA-256 is ``sha``, made by ``maker`` (a photo's by
    default) from ``original()`` (a callable returning the verified bytes) the first time it is
    asked for. None when it cannot be drawn (remembered: a bad file is not parsed on each view)."""
    path = _cache_dir() / sha[:2] / f"{sha}-{size}.jpg"
    if path.exists():
        return path.read_bytes()
    failed = path.with_suffix(".none")
    if failed.exists():
        return None
    thumb = (maker or make)(original(), size)
    if thumb is None:
        _write(failed, b"")                               # do not decode a bad file again on each view
    else:
        _write(path, thumb)
    return thumb


def preview(sha: str, mime: str, original) -> bytes | None:
    """:func:`cached` for a stored file of type ``mime`` (told from its bytes): a photo's
    thumbnail or a PDF's first page; None for any other file and for a file that cannot be drawn."""
    maker = maker_for(mime)
    return cached(sha, original, maker=maker) if maker is not None else None


def maker_for(mime: str):
    if mime.startswith("image/"):
        return make
    if mime == "application/pdf":
        return make_pdf
    return None


# --- PDFs, drawn in a child process -----------------------------------------------------

#: a file larger than this is not handed to the child (an evidence upload is far below)
MAX_RENDER_BYTES = 200 * 1024 * 1024
#: the wall-clock time a child gets before it is killed (it limits its own CPU to less)
RENDER_TIMEOUT_S = 20.0
#: children drawing at once (the machine's cores serve requests too)
_RENDERING = threading.BoundedSemaphore(2)


def _child_cmd(kind: str, size: int) -> list[str]:
    return [sys.executable, "-I", "-B", str(Path(__file__).with_name("render_child.py")), kind, str(size)]


def _render(kind: str, data: bytes, size: int) -> bytes | None:
    """A JPEG drawn by the child process, checked to be one of at most ``size`` pixels a side;
    None when the child refused, failed, crashed or ran out of time."""
    if not data or len(data) > MAX_RENDER_BYTES:
        return None
    with _RENDERING:
        try:
            done = subprocess.run(_child_cmd(kind, size), input=data, capture_output=True,
                                  timeout=RENDER_TIMEOUT_S, check=False)
        except (subprocess.TimeoutExpired, OSError):
            return None                              # run() killed the child on the timeout
    if done.returncode != 0:
        return None
    img = _open(done.stdout)
    if img is None or img.format != "JPEG" or max(img.size) > size:
        return None
    return done.stdout


def make_pdf(data: bytes, size: int = SIZE) -> bytes | None:
    """The first page of a PDF as a JPEG of at most ``size`` × ``size`` pixels; None when it is no
    PDF PDFium can draw (broken, encrypted, no pages) or drawing it took too long."""
    return _render("pdf", data, size) if b"%PDF-" in data[:1024] else None    # the header may follow junk


def cached_facts(sha: str, original) -> PhotoFacts | None:
    """:func:`facts` of the stored file ``sha``, remembered beside its thumbnails."""
    path = _cache_dir() / sha[:2] / f"{sha}.facts.json"
    if path.exists():
        raw = json.loads(path.read_bytes())
        return PhotoFacts(**raw) if raw else None
    found = facts(original())
    _write(path, json.dumps(asdict(found) if found else None).encode())
    return found
