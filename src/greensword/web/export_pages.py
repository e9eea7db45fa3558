"""The pages of an export job (``webkit.exports``): its page, the progress fragment the page polls,
and the file — each only for the person who started it."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from ..core.errors import NotFound
from ..webkit import exports
from ..webkit.deps import DB, CurrentActor
from ..webkit.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/exports/{token}")
def job_page(request: Request, token: str, db: DB, actor: CurrentActor):
    exports.purge(db)
    return render(request, "core/export.html", exports.view(exports.own(db, actor, token)))


@router.get("/exports/{token}/progress")
def job_progress(request: Request, token: str, db: DB, actor: CurrentActor):
    return render(request, "core/_export_progress.html", exports.view(exports.own(db, actor, token)))


@router.get("/exports/{token}/file")
def job_file(token: str, db: DB, actor: CurrentActor):
    job = exports.own(db, actor, token)
    path = exports.folder() / f"{job.token}.{job.fmt}"
    if job.state != "done" or not path.is_file():
        raise NotFound("导出文件尚未生成或已过期", code="export.no_file")
    return FileResponse(path, media_type=job.media_type, headers={
        "Content-Disposition": exports.disposition(job.filename), "X-Total-Count": str(job.total),
        "Cache-Control": "no-store"})
