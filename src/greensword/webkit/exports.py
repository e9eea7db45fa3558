"""Long exports as jobs the user watches: 已导出 N / 共 M 行, then a download link.

A console list's export link streams the file at once when it is short. When it has more rows
than ``export_job_rows`` and a signed-in person asked for it from a browser, the export runs as a
job instead: the request answers with the job's page (303), a thread of this worker writes the
file under ``data_dir/exports`` with the list's own rows function (the same filters and
jurisdiction as the stream), and the progress goes to an ``export_job`` row after every few
hundred rows — any worker process answers the page's polls (htmx, once a second) from that row.
Only the person who started the job sees it or downloads the file (anyone else gets 404); the
file and the row are removed ``export_keep_s`` after the job started. A job whose worker stopped
(no progress for ``STALE_S``) is shown as interrupted.

Several hosts behind a balancer must share ``data_dir/exports`` (as they share the evidence
store), or route a user's requests to one host.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..core.db import session_scope
from ..core.errors import NotFound, TooManyRequests
from ..core.models import ExportJob
from ..core.timeutil import aware, now
from ..settings import get_settings

log = logging.getLogger(__name__)

#: A running job with no progress for this long lost its worker (restart, crash).
STALE_S = 600
#: Unfinished jobs one person may have at a time.
MAX_OPEN_PER_USER = 3
#: Exports written at once by one worker process; more wait their turn (state "queued").
_slots = threading.BoundedSemaphore(2)
#: Progress is written after this many rows at most (and at least every ``_EVERY_S`` seconds).
_EVERY_ROWS, _EVERY_S = 500, 0.5

STATES = {"queued": "排队中", "running": "正在导出", "packing": "正在生成文件", "done": "导出完成",
          "failed": "导出失败"}

Writer = Callable[[Path, Iterable[Sequence[Any]]], None]


def disposition(filename: str) -> str:
    """A download's Content-Disposition: an ASCII fallback name and the UTF-8 one (RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def folder() -> Path:
    path = get_settings().data_dir / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def wants_job(request: Request, total: int | None) -> bool:
    """A long export asked for by a signed-in person's browser (API clients and scripts, which do
    not ask for HTML, and ``?direct=1`` keep the stream)."""
    actor = getattr(request.state, "actor", None)
    return (total is not None and total > get_settings().export_job_rows and actor is not None
            and actor.user_id is not None and "text/html" in request.headers.get("accept", "")
            and request.query_params.get("direct") != "1")


def start(request: Request, *, filename: str, fmt: str, media_type: str, total: int,
          rows: Callable[[Session], Iterable[Sequence[Any]]], write: Writer) -> RedirectResponse:
    """Record the job, start writing it in a thread of this worker and send the browser to its page."""
    actor = request.state.actor
    engine = request.app.state.engine
    source = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    with session_scope(engine) as s:
        purge(s)
        cutoff = now() - timedelta(seconds=STALE_S)
        running = s.execute(select(func.count()).select_from(ExportJob).where(
            ExportJob.user_id == actor.user_id, ExportJob.state.in_(("queued", "running", "packing")),
            ExportJob.updated_at >= cutoff)).scalar_one()
        if running >= MAX_OPEN_PER_USER:
            raise TooManyRequests(f"您已有 {running} 个导出正在进行，请等其完成后再导出", code="export.too_many")
        at = now()
        job = ExportJob(token=secrets.token_urlsafe(24), user_id=actor.user_id, filename=filename[:200], fmt=fmt,
                        media_type=media_type, source=source[:500], total=total, done=0, state="queued",
                        error="", size=0, created_at=at, updated_at=at)
        s.add(job)
        s.flush()
        job_id, token = job.id, job.token
    threading.Thread(target=_run, args=(engine, job_id, token, fmt, rows, write), name=f"export-{job_id}",
                     daemon=True).start()
    return RedirectResponse(f"/exports/{token}", status_code=303)


def _set(engine, job_id: int, **values) -> None:
    with session_scope(engine) as s:
        s.execute(update(ExportJob).where(ExportJob.id == job_id).values(updated_at=now(), **values))


def _run(engine, job_id: int, token: str, fmt: str, rows, write: Writer) -> None:
    final = folder() / f"{token}.{fmt}"
    part = final.with_name(final.name + ".part")
    try:
        with _slots:
            _set(engine, job_id, state="running")
            counted = {"n": 0, "at": time.monotonic()}

            def counting(session: Session):
                for row in rows(session):
                    yield row
                    counted["n"] += 1
                    n = counted["n"]
                    if n % _EVERY_ROWS == 0 or time.monotonic() - counted["at"] >= _EVERY_S and n % 50 == 0:
                        counted["at"] = time.monotonic()
                        _set(engine, job_id, done=n)

            with session_scope(engine) as session:
                write(part, _Packing(counting(session), lambda: _set(engine, job_id, done=counted["n"],
                                                                     state="packing")))
            os.replace(part, final)
            n = counted["n"]
            _set(engine, job_id, done=n, total=n, state="done", size=final.stat().st_size, finished_at=now())
    except Exception as exc:  # noqa: BLE001 - recorded on the job, shown to the user
        log.exception("export job %s failed", job_id)
        part.unlink(missing_ok=True)
        try:
            _set(engine, job_id, state="failed", error=str(exc)[:500], finished_at=now())
        except Exception:  # noqa: BLE001 - the database itself failed; the job shows as interrupted
            log.exception("export job %s: could not record the failure", job_id)


class _Packing:
    """The rows, then a call when they are exhausted (the xlsx writer still zips its sheet)."""

    def __init__(self, rows: Iterable, done: Callable[[], None]):
        self._rows, self._done = rows, done

    def __iter__(self):
        yield from self._rows
        self._done()


def purge(session: Session) -> int:
    """Remove the jobs started more than ``export_keep_s`` ago with their files (and any file of
    the exports folder that old: a job row rolled back, a worker stopped mid-write)."""
    keep = get_settings().export_keep_s
    cutoff = now() - timedelta(seconds=keep)
    old = list(session.execute(select(ExportJob.token, ExportJob.fmt).where(ExportJob.created_at < cutoff)))
    for token, fmt in old:
        for p in (folder() / f"{token}.{fmt}", folder() / f"{token}.{fmt}.part"):
            p.unlink(missing_ok=True)
    if old:
        session.execute(delete(ExportJob).where(ExportJob.created_at < cutoff))
    limit = time.time() - keep
    for p in folder().iterdir():
        try:
            if p.is_file() and p.stat().st_mtime < limit:
                p.unlink()
        except FileNotFoundError:       # another worker removed it first
            pass
    return len(old)


def own(session: Session, actor, token: str) -> ExportJob:
    job = session.execute(select(ExportJob).where(ExportJob.token == token)).scalar_one_or_none()
    if job is None or job.user_id != actor.user_id:
        raise NotFound("导出任务不存在或已过期", code="export.not_found")
    if job.state in ("queued", "running", "packing") and (now() - aware(job.updated_at)).total_seconds() > STALE_S:
        job.state, job.error = "failed", "导出中断（服务进程已停止），请重新导出"
    return job


def view(job: ExportJob) -> dict:
    """What the job's page and its progress fragment show."""
    pct = 100 if job.state == "done" else (min(99, int(job.done * 100 / job.total)) if job.total else 0)
    path, _, query = (job.source or "").partition("?")
    back = None if not path or path.startswith("/api/") else path.rsplit(".", 1)[0] + (f"?{query}" if query else "")
    return {"job": job, "pct": pct, "state": STATES.get(job.state, job.state), "back": back,
            "finished": job.state in ("done", "failed"), "keep_min": get_settings().export_keep_s // 60}
