"""FastAPI application factory: one app for the console (HTML) and the JSON API (/api/v1).

Each domain in greensword.DOMAINS may provide ``api.router`` (mounted under /api/v1) and
``pages.router`` (HTML); they are discovered here, so a domain plugs in from its own folder.
"""

import importlib
import importlib.util
import logging
import threading
from contextlib import asynccontextmanager
from html import escape
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import DOMAINS, __version__
from ..core import locks
from ..core.db import get_engine
from ..core.errors import DomainError, NotAuthenticated, ValidationFailed
from ..settings import get_settings
from ..webkit.templating import render
from .params import DropEmptyQuery, check_params
from .security import SecurityMiddleware

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


HTTP_MESSAGES = {
    400: ("request.bad", "请求格式不正确"),
    401: ("auth.login_required", "请先登录"),
    403: ("permission_denied", "您没有访问此页面的权限"),
    404: ("not_found", "页面不存在"),
    405: ("request.method", "不支持此请求方式"),
    413: ("request.too_large", "请求内容过大"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}
_REASONS = {
    "int_parsing": "须为整数", "int_from_float": "须为整数", "float_parsing": "须为数字",
    "missing": "必填", "less_than_equal": "超出允许范围", "greater_than_equal": "超出允许范围",
    "less_than": "超出允许范围", "greater_than": "超出允许范围", "date_from_datetime_parsing": "须为日期",
    "date_parsing": "须为日期（YYYY-MM-DD）", "bool_parsing": "须为是/否", "string_too_long": "过长",
    "literal_error": "取值不在允许范围内", "enum": "取值不在允许范围内",
}


def _reason(e: dict) -> str:
    return _REASONS.get(e.get("type", ""), e.get("msg", ""))


def _error_page(request: Request, err: DomainError):
    try:
        return render(request, "core/error.html", {"error": err}, status_code=err.status)
    except Exception:  # noqa: BLE001 - the error page must not fail in turn
        log.exception("error page failed")
        return HTMLResponse(f"<h1>出错了</h1><p>{escape(err.message)}</p>", status_code=err.status)


@asynccontextmanager
async def _lifespan(app: FastAPI):
    from ..core import heap, rules
    from ..webkit import templating

    rules.warm()                    # parsed and compiled before the first request, not during it
    templating.warm()
    for lazy in ("duckdb", "openpyxl"):  # imported by pages on first use (≈0.1–0.3 s each)
        try:
            importlib.import_module(lazy)
        except ImportError:
            pass
    heap.settle()                   # what start-up built is never scanned by the collector again
    if get_settings().prewarm_figures:
        app.state.prewarm = threading.Thread(target=_prewarm, args=(app.state.engine,), daemon=True,
                                             name="prewarm figures")
        app.state.prewarm.start()
    yield


def _prewarm(engine: Engine) -> None:
    """The statistics and ranking figures the pages open with, computed in the background as the
    worker starts (evaluation.service.prewarm): read-only, rolled back; a failure only costs the
    first visitor the wait."""
    from ..core.db import session_factory
    from ..evaluation import service as evaluation

    session = session_factory(engine)()
    try:
        evaluation.prewarm(session)
    except Exception:  # noqa: BLE001 - never take the worker down
        log.exception("pre-computing figures failed")
    finally:
        session.rollback()
        session.close()


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="GreenSword 绿剑 生态环境执法平台",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        dependencies=[Depends(check_params)],

    )
    app.state.engine = engine or get_engine()

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        retry = exc.details.get("retry_after") if exc.status == 429 and isinstance(exc.details, dict) else None
        headers = {"retry-after": str(retry)} if retry else None
        if _wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse(exc.to_problem(), status_code=exc.status, media_type=PROBLEM, headers=headers)
        if isinstance(exc, NotAuthenticated):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        response = _error_page(request, exc)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError):
        details = [{"column": ".".join(str(p) for p in e["loc"][1:]), "reason": _reason(e)} for e in exc.errors()]
        err = ValidationFailed("请求参数不正确", code="request.invalid", details=details)
        if _wants_json(request):
            body = err.to_problem()
            body["status"] = 422
            return JSONResponse(body, status_code=422, media_type=PROBLEM)
        return _error_page(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code, message = HTTP_MESSAGES.get(exc.status_code, ("http.error", "请求无法完成"))
        if exc.status_code == 413 and isinstance(exc.detail, str):
            message = exc.detail
        err = DomainError(message, code=code)
        err.status = exc.status_code
        if _wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse(err.to_problem(), status_code=exc.status_code, media_type=PROBLEM,
                                headers=getattr(exc, "headers", None))
        return _error_page(request, err)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        headers = None
        if locks.contended(exc):              # waited too long for a record another request holds
            log.warning("lock contention on %s %s: %s", request.method, request.url.path, exc)
            err = DomainError("该记录正由他人办理，等待超时，未作任何修改，请稍后重试", code="server.busy")
            err.status, headers = 503, {"retry-after": "2"}
        else:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            err = DomainError("服务器内部错误，已记录，请稍后重试或联系管理员", code="server.error")
            err.status = 500
        if _wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse(err.to_problem(), status_code=err.status, media_type=PROBLEM, headers=headers)
        response = _error_page(request, err)
        if headers:
            response.headers.update(headers)
        return response

    from . import core_pages, export_pages

    app.include_router(core_pages.router)
    app.include_router(export_pages.router)
    app.include_router(core_pages.api_router, prefix="/api/v1")
    for domain in DOMAINS:
        for module, prefix in (("api", "/api/v1"), ("pages", "")):
            name = f"greensword.{domain}.{module}"
            if importlib.util.find_spec(name) is None:
                continue
            mod = importlib.import_module(name)
            router = getattr(mod, "router", None)
            if router is not None:
                app.include_router(router, prefix=prefix)

    settings = get_settings()
    from pathlib import Path

    static = Path(__file__).parent / "static"

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return FileResponse(static / "favicon.svg", media_type="image/svg+xml",
                            headers={"cache-control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    vendor = Path(settings.vendor_dir)
    if vendor.is_dir():
        app.mount("/vendor", StaticFiles(directory=str(vendor)), name="vendor")
    else:
        log.warning("front-end libraries not installed at %s (run the setup command)", vendor)
    app.add_middleware(DropEmptyQuery)
    app.add_middleware(SecurityMiddleware)
    return app
