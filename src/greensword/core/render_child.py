"""The child process that draws a preview of a PDF's first page (pypdfium2) — run by
:mod:`greensword.core.thumbs`, never imported by the server.

A PDF is parsed by a large C library (PDFium). A hostile or broken file could
make it loop, eat memory or crash; in the server process that would hang a worker thread or take
down every request it serves. So it runs here, as ``python -I render_child.py KIND SIZE`` with the
file on standard input, under limits it sets on itself before reading a byte (CPU seconds,
address space, no files written), and the server kills it after a wall-clock timeout. It prints a
JPEG of at most SIZE × SIZE pixels on standard output and exits 0, or exits non-zero with nothing
usable: the server shows the 无法预览 placeholder then.

Only this file's own imports are used (standard library, Pillow, pypdfium2), so it runs in
isolated mode without the package on the path. ``KIND`` names the drawer (only ``pdf`` so far: a
video's poster frame would be a second one, with PyAV).
"""

import io
import math
import resource
import sys

#: the child's own limits: CPU seconds and address space (PDFium drawing a page of scanned images
#: at thumbnail size stays well below)
CPU_S = 10
ADDRESS_SPACE = 2 << 30
EXIT_NOT_RENDERABLE = 3


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_S, CPU_S))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))         # writes no file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _pdf(data: bytes, size: int):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        if len(pdf) < 1:
            return None
        page = pdf[0]
        w, h = page.get_size()
        if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
            return None
        # the bitmap is at most size × size whatever the page claims (a 200-inch poster page is
        # drawn as small as a letter page)
        scale = size / max(w, h)
        if min(w, h) * scale < 1:
            return None
        return page.render(scale=scale, may_draw_forms=False).to_pil()
    finally:
        pdf.close()


def main(argv: list[str]) -> int:
    _limit()
    kind, size = argv[1], int(argv[2])
    data = sys.stdin.buffer.read()
    try:
        img = _pdf(data, size) if kind == "pdf" else None
    except Exception:                            # noqa: BLE001 - any library error: no preview
        return EXIT_NOT_RENDERABLE
    if img is None:
        return EXIT_NOT_RENDERABLE
    from PIL import Image

    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    if img.mode != "RGB":
        img = img.convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, optimize=True)
    sys.stdout.buffer.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
