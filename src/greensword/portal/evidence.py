"""Files an enterprise attaches (信用修复 evidence, 正面清单 applications): JPEG, PNG or PDF checked
by their first bytes, a size and count limit, stored content-addressed; nothing is stored when any
file is refused."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import NotFound, ValidationFailed
from ..core.storage import ContentStore

STORE = ContentStore("portal", ".bin")
#: type → first bytes
TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}


@dataclass
class Upload:
    filename: str
    mime: str
    data: bytes


def store(files: list[Upload], *, max_files: int, max_bytes: int) -> list[dict]:
    """Check every file first, then store them all: [{sha256, filename, mime, size}]."""
    files = [f for f in files if f.filename or f.data]
    if len(files) > max_files:
        raise ValidationFailed(f"附件最多 {max_files} 个", code="portal.too_many_files")
    for f in files:
        name = (f.filename or "附件")[:100]
        if not f.data:
            raise ValidationFailed(f"附件“{name}”为空或上传不完整，请重新上传", code="portal.file_empty")
        if len(f.data) > max_bytes:
            raise ValidationFailed(f"附件“{name}”超过 {max_bytes // 1048576} MB", code="portal.file_too_large")
        magic = TYPES.get(f.mime)
        if magic is None:
            raise ValidationFailed(f"附件“{name}”的类型不受支持，仅接受 JPEG、PNG 图片和 PDF", code="portal.file_type")
        if not f.data.startswith(magic):
            raise ValidationFailed(f"附件“{name}”已损坏或与其类型不符", code="portal.file_broken")
    return [{"sha256": STORE.put(f.data), "filename": (f.filename or "附件")[:100], "mime": f.mime, "size": len(f.data)}
            for f in files]


def read(meta: dict) -> bytes:
    if not isinstance(meta, dict) or "sha256" not in meta:
        raise NotFound("附件不存在", code="portal.file_not_found")
    return STORE.read(meta["sha256"], code="portal.file_tampered", what="附件")
