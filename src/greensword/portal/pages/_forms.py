"""Helpers shared by the portal's pages: uploaded files out of a multipart form, officers of a
county (for escalation), a file download that is never rendered inline."""

from __future__ import annotations

from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from ...registry.models import Officer
from ..uploads import Upload


def files_of(form, field: str = "files") -> list[Upload]:
    """Read in the endpoint's thread (endpoints that use the database are plain ``def``)."""
    out = []
    for f in form.getlist(field):
        if isinstance(f, UploadFile):
            f.file.seek(0)
            data = f.file.read()
            if f.filename or data:
                out.append(Upload(f.filename or "", data))
    return out


def officers_of(db, agency_id: int) -> list[Officer]:
    return list(db.execute(select(Officer).where(Officer.agency_id == agency_id, Officer.cert_no.is_not(None),
                                                 Officer.active.is_(True)).order_by(Officer.id).limit(30)).scalars())


def download(meta: dict, data: bytes) -> Response:
    from urllib.parse import quote

    return Response(data, media_type=meta.get("mime") or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.get('name') or 'file')}",
                             "X-Content-Type-Options": "nosniff"})
