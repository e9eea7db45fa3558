"""FastAPI application factory: one app for the console (HTML) and the JSON API (/api/v1).

Each domain in greensword.DOMAINS may provide ``api.router`` (mounted under /api/v1) and
``pages.router`` (HTML); they are discovered here, so a domain plugs in from its own folder.
"""

import importlib
import importlib.util
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from .. import DOMAINS, __version__
from ..core.db import get_engine
from ..core.errors import DomainError, NotAuthenticated
from ..settings import get_settings
from ..webkit.templating import render

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def create_app(engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        title="GreenSword 绿剑 生态环境执法平台",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.engine = engine or get_engine()

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if _wants_json(request) or request.headers.get("hx-request"):
            return JSONResponse(exc.to_problem(), status_code=exc.status, media_type=PROBLEM)
        if isinstance(exc, NotAuthenticated):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(request, "core/error.html", {"error": exc}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError):
        details = [{"column": ".".join(str(p) for p in e["loc"][1:]), "reason": e["msg"]} for e in exc.errors()]
        body = DomainError("请求参数不正确", code="request.invalid", details=details).to_problem()
        body["status"] = 422
        return JSONResponse(body, status_code=422, media_type=PROBLEM)

    from . import core_pages

    app.include_router(core_pages.router)
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
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    vendor = Path(settings.vendor_dir)
    if vendor.is_dir():
        app.mount("/vendor", StaticFiles(directory=str(vendor)), name="vendor")
    else:
        log.warning("front-end libraries not installed at %s (run the setup command)", vendor)
    return app
