"""Helpers shared by the portal's pages: uploaded files out of a multipart form, officers of a
county (for escalation), a file download that is never rendered inline, the units of a list's
filter and its CSV/xlsx export."""

from __future__ import annotations

from fastapi.responses import Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from ...core.errors import ValidationFailed
from ...core.timeutil import now
from ...registry.models import Agency, Officer
from ...webkit.listing import csv_response, xlsx_response
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


def officers_of(db, actor, agency_id: int) -> list[Officer]:
    """Every certified active officer of the county, within the actor's jurisdiction (escalation)."""
    from ...registry import service as registry

    return registry.assignable_officers(db, actor, agency_id)


def download(meta: dict, data: bytes, thumb: int = 0) -> Response:
    """A stored file as an attachment, or with ``thumb`` its small preview (photos only)."""
    from urllib.parse import quote

    if thumb:
        from ...core import thumbs
        from ...webkit.images import thumbnail_response

        return thumbnail_response(thumbs.preview(meta["sha256"], meta.get("mime") or "", lambda: data))
    return Response(data, media_type=meta.get("mime") or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.get('name') or 'file')}",
                             "X-Content-Type-Options": "nosniff"})


def units_of(db, actor) -> list[Agency]:
    """The province/city/county units in the actor's jurisdiction (a list's 属地 filter)."""
    rows = db.execute(select(Agency).where(Agency.level.in_(("province", "city", "county")))
                      .order_by(Agency.division_code)).scalars()
    return [a for a in rows if actor.covers(a.path)]


def stamp(at) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


def export(request, fmt: str, name: str, header: list[str], rows, total: int):
    """A list's rows streamed as CSV or xlsx (see webkit.listing)."""
    filename = f"{name}-{now():%Y%m%d}"
    if fmt == "csv":
        return csv_response(request, f"{filename}.csv", header, rows, total)
    if fmt == "xlsx":
        return xlsx_response(request, f"{filename}.xlsx", name, header, rows, total)
    raise ValidationFailed("导出格式应为 csv 或 xlsx", code="list.export_format")
