"""Evidence files: content-addressed, uploaded in resumable chunks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core import audit, filetypes, thumbs
from ...core.auth import Actor, require_role
from ...core.errors import Conflict, NotFound, ValidationFailed
from ...core.storage import ContentStore
from ...core.timeutil import TZ, aware, now
from ..models import Evidence, Task, Upload
from .records import _editable, record_for
from .tasks import get_task

EVIDENCE = ContentStore()      # <evidence dir>/<sha[:2]>/<sha>; parts under uploads/


def evidence_path(sha: str) -> Path:
    return EVIDENCE.path(sha)


def _original(ev: Evidence):
    return lambda: EVIDENCE.read(ev.sha256, code="inspection.evidence_tampered", what="证据文件")


def thumbnail(ev: Evidence) -> bytes | None:
    """A small upright JPEG of a photo (made once, kept beside the evidence); None for other
    files and for images that cannot be decoded."""
    if not EVIDENCE.path(ev.sha256).exists():
        return None
    return thumbs.preview(ev.sha256, ev.mime, _original(ev))


#: a photo whose camera position is farther than this from the record's GPS fix is flagged (the
#: sum of two phone fixes' errors is tens of metres; a large plant's yard is a few hundred)
PHOTO_FAR_M = 500.0


def photo_notes(ev: Evidence, record) -> dict | None:
    """What a photo's EXIF says (taken at, where, device) and how it compares with the record:
    metres from the record's GPS fix and whether that is far. None for other files."""
    if not ev.mime.startswith("image/") or not EVIDENCE.path(ev.sha256).exists():
        return None
    try:
        f = thumbs.cached_facts(ev.sha256, _original(ev))
    except Conflict:                                   # a changed file: the page says so elsewhere
        return None
    if f is None:
        return None
    out = {"taken_at": f.taken_at, "lat": f.lat, "lon": f.lon, "device": f.device, "size": f"{f.width}×{f.height}",
           "distance_m": None, "far": False, "days_off": 0}
    if f.lat is not None and record is not None and record.gps_lat is not None:
        d = thumbs.distance_m(f.lat, f.lon, record.gps_lat, record.gps_lon)
        out["distance_m"], out["far"] = d, d > PHOTO_FAR_M
    if f.taken_at and record is not None and record.checked_at is not None:
        # the camera's clock is local time; a day either side allows for a wrong time zone setting
        off = (date.fromisoformat(f.taken_at[:10]) - aware(record.checked_at).astimezone(TZ).date()).days
        out["days_off"] = off if abs(off) > 1 else 0
    return out


def start_upload(session: Session, actor: Actor, task: Task, *, sha256_hex: str, size: int, filename: str,
                 mime: str = "application/octet-stream", captured_at: datetime | None = None,
                 location: str = "") -> dict:
    """Begin or resume an upload. Returns {upload_id, received, done}."""
    require_role(actor, "officer", "leader", "admin")
    _editable(record_for(session, actor, task))
    sha = sha256_hex.lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValidationFailed("sha256 应为 64 位十六进制", code="inspection.bad_sha256")
    if size <= 0 or size > 512 * 1024 * 1024:
        raise ValidationFailed("文件大小应在 1 字节到 512 MiB 之间", code="inspection.bad_size")
    have = session.execute(select(Evidence).where(Evidence.task_id == task.id, Evidence.sha256 == sha)
                           ).scalar_one_or_none()
    if have is not None:
        return {"upload_id": None, "received": size, "done": True, "evidence_id": have.id}
    up = session.execute(select(Upload).where(Upload.task_id == task.id, Upload.sha256 == sha)).scalar_one_or_none()
    if up is None:
        up = Upload(id=uuid.uuid4().hex, task_id=task.id, sha256=sha, size=size, received=0, filename=filename[:200],
                    mime=mime[:100], captured_at=captured_at, location=location[:100], uploaded_by=actor.username,
                    created_at=now())
        session.add(up)
        session.flush()
    up.received = min(EVIDENCE.received(up.id), up.size)
    return {"upload_id": up.id, "received": up.received, "done": False}


def put_chunk(session: Session, actor: Actor, upload_id: str, offset: int, data: bytes) -> dict:
    if offset < 0:
        raise ValidationFailed("上传偏移不能为负数", code="inspection.upload_offset")
    up = session.get(Upload, upload_id)
    if up is None:
        raise NotFound("上传会话不存在或已完成", code="inspection.upload_not_found")
    task = get_task(session, actor, up.task_id)
    _editable(record_for(session, actor, task))
    have = EVIDENCE.received(up.id)
    if offset > have:
        raise Conflict(f"偏移 {offset} 超过已接收的 {have} 字节，请从 {have} 续传", code="inspection.upload_gap",
                       details={"received": have})
    data = data[have - offset:]                 # a re-sent chunk: keep only the new bytes
    if have + len(data) > up.size:
        raise ValidationFailed("上传内容超过声明的文件大小", code="inspection.upload_too_big")
    up.received = EVIDENCE.append(up.id, data)
    if up.received < up.size:
        return {"upload_id": up.id, "received": up.received, "done": False}
    if not EVIDENCE.adopt(EVIDENCE.part(up.id), up.sha256):
        up.received = 0
        raise ValidationFailed("文件 SHA-256 与声明不符，已丢弃，请重新上传", code="inspection.upload_hash_mismatch")
    with open(EVIDENCE.path(up.sha256), "rb") as fh:
        told = filetypes.sniff(fh.read(16))               # what the bytes are, not what the client said
    ev = Evidence(task_id=up.task_id, sha256=up.sha256, filename=up.filename,
                  mime=told if told != "application/octet-stream" else up.mime, size=up.size,
                  captured_at=up.captured_at, location=up.location, uploaded_by=actor.username, uploaded_at=now())
    session.add(ev)
    session.delete(up)
    session.flush()
    audit.record(session, actor, "inspection.evidence.add", "inspection_task", up.task_id,
                 {"sha256": up.sha256, "filename": up.filename, "size": up.size})
    return {"upload_id": None, "received": up.size, "done": True, "evidence_id": ev.id}
