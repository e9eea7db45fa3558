"""Evidence files a firm uploads (photos, scanned documents) with an answer, a self-check or a
rectification report: the type is judged by the bytes, not by the name or the browser's claim;
a file over the size limit, of another type, or cut short (no end marker: a broken upload) is
refused with a message naming it. All files of a submission are checked before any is stored, so
a refused submission stores nothing; accepted files go to the content-addressed store."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import filetypes
from ..core.errors import ValidationFailed
from ..core.storage import ContentStore
from . import rules

STORE = ContentStore("portal", ".bin")

#: MIME type (as core.filetypes tells it) → (end marker that a complete file carries, how far from
#: the end to look); a type without an entry cannot be checked for completeness and is not accepted
ENDINGS: dict[str, tuple[bytes, int]] = {
    "image/jpeg": (b"\xff\xd9", 64),
    "image/png": (b"IEND\xaeB`\x82", 16),
    "application/pdf": (b"%%EOF", 1024),
}
TYPE_NAMES = {"image/jpeg": "JPEG 照片", "image/png": "PNG 图片", "application/pdf": "PDF 文件"}


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def check(files: list[Upload]) -> list[tuple[Upload, str]]:
    """Each non-empty upload with its sniffed type, or ValidationFailed naming the first bad file."""
    ev = rules.warnings().evidence
    files = [f for f in files if f.name or f.data]
    if len(files) > ev.max_files:
        raise ValidationFailed(f"一次最多上传 {ev.max_files} 个文件（本次 {len(files)} 个）", code="portal.too_many_files")
    allowed = "、".join(TYPE_NAMES.get(t, t) for t in ev.types)
    out = []
    for f in files:
        name = f.name or "未命名文件"
        if not f.data:
            raise ValidationFailed(f"文件“{name}”是空的，上传不完整，请重新上传", code="portal.empty_file")
        if len(f.data) > ev.max_bytes:
            raise ValidationFailed(f"文件“{name}”大小 {len(f.data) / 1048576:.1f} MB，超过上限 "
                                   f"{ev.max_bytes / 1048576:g} MB", code="portal.file_too_large")
        mime = filetypes.sniff(f.data[:16])
        if mime not in ENDINGS or mime not in ev.types:
            raise ValidationFailed(f"文件“{name}”不是允许的类型（仅限{allowed}）", code="portal.bad_file_type")
        tail, window = ENDINGS[mime]
        if tail not in f.data[-window:]:
            raise ValidationFailed(f"文件“{name}”不完整（上传中断或文件已损坏），请重新上传", code="portal.broken_file")
        out.append((f, mime))
    return out


def store(files: list[Upload]) -> list[dict]:
    """Check every file, then store them all: [{sha256, name, mime, size}]."""
    checked = check(files)
    return [{"sha256": STORE.put(f.data), "name": (f.name or "")[:200], "mime": mime, "size": len(f.data)}
            for f, mime in checked]


def read(sha: str) -> bytes:
    return STORE.read(sha, code="portal.file_tampered", what="证据文件")
