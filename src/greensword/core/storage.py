"""Content-addressed file storage: a file is stored once under the SHA-256 of its bytes, written
atomically, and read back only if its bytes still hash to that name (a changed file is refused).

Inspection evidence (resumable uploads) and case documents use it. Each keeps its own area below
the evidence directory (settings.evidence_path) so existing stores stay readable:
``<area>/<sha[:2]>/<sha><suffix>``.
"""

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from .errors import Conflict

CHUNK = 1 << 20

#: inside :func:`synced_at_end`: files are written without an fsync each
_DEFERRED: ContextVar[bool] = ContextVar("storage_deferred_sync", default=False)


@contextmanager
def synced_at_end() -> Iterator[None]:
    """For a batch whose records commit only after the block (the demo build: one transaction):
    the files stored in the block are not made durable one by one (an fsync each, a thousand
    .docx files) but all at once at the block's end (``os.sync``), still before the commit that
    refers to them. A block left by an error syncs nothing: its transaction is rolled back, and a
    file no record refers to is only unused bytes."""
    if _DEFERRED.get():
        yield
        return
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    os.sync()


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class ContentStore:
    area: str = ""          # folder below the evidence directory ("" = its root)
    suffix: str = ""        # file name ending, e.g. ".docx"

    @property
    def root(self) -> Path:
        from ..settings import get_settings

        base = get_settings().evidence_path
        return base / self.area if self.area else base

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / f"{sha}{self.suffix}"

    def put(self, data: bytes) -> str:
        """Store ``data`` (if not stored already) and return its SHA-256."""
        sha = digest_bytes(data)
        path = self.path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                if not _DEFERRED.get():
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        return sha

    # resumable uploads: parts grow under <area>/uploads/<upload id> until adopted

    def part(self, upload_id: str) -> Path:
        return self.root / "uploads" / upload_id

    def received(self, upload_id: str) -> int:
        part = self.part(upload_id)
        return part.stat().st_size if part.exists() else 0

    def append(self, upload_id: str, data: bytes) -> int:
        """Append ``data`` durably to an upload's part; returns the bytes received so far."""
        part = self.part(upload_id)
        part.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return part.stat().st_size

    def adopt(self, tmp: Path, sha: str) -> bool:
        """Move a finished temporary file into the store under ``sha``. False (and the temporary
        file removed) when its bytes do not hash to ``sha``."""
        if digest_file(tmp) != sha:
            tmp.unlink()
            return False
        path = self.path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            tmp.unlink()
        else:
            os.replace(tmp, path)
        return True

    def read(self, sha: str, *, code: str = "storage.tampered", what: str = "文件") -> bytes:
        data = self.path(sha).read_bytes()
        if digest_bytes(data) != sha:
            raise Conflict(f"{what}与登记的哈希不符（被改动）", code=code)
        return data
