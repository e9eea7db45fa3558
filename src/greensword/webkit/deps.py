"""FastAPI dependencies shared by every domain's routes: the database session (one transaction
per request, committed before the response is sent) and the current actor (session cookie for
the console, ``Authorization: Bearer`` token for the API)."""

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ..core import cache
from ..core.auth import Actor, resolve_token
from ..core.db import session_scope
from ..core.errors import NotAuthenticated, PermissionDenied

COOKIE = "gs_session"


def get_db(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.engine) as session:
        request.state.db = session            # render() asks it whether figures were served stale
        yield session
        # the API's equivalent of the console's banner: the response header X-Figures-Stale-Since
        # (web.security adds it), read before the commit ends the transaction it is kept for
        since = cache.stale_since(session)
        if since is not None:
            request.state.figures_stale_since = since


DB = Annotated[Session, Depends(get_db, scope="function")]


async def _form(request: Request) -> FormData:
    """The request's form (fields and uploaded files), read on the event loop so the endpoint that
    uses it can be a plain ``def``, which FastAPI runs in its thread pool. An ``async def``
    endpoint that works with the database blocks its worker's event loop while it waits, and
    when it waits for a row lock (the audit chain's head) held by a request whose commit needs
    that same loop to be scheduled, the whole worker stops: seen under load as every request of
    the worker timing out. Uploaded files are read in the endpoint with ``f.file.read()``."""
    return await request.form()


FormFields = Annotated[FormData, Depends(_form)]


async def _body(request: Request) -> bytes:
    """The raw request body, read on the event loop for a plain ``def`` endpoint (see ``_form``)."""
    return await request.body()


RawBody = Annotated[bytes, Depends(_body)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _secret(request: Request) -> tuple[str | None, str]:
    """(secret, kind): an ``Authorization: Bearer`` header carries an API token, the cookie a
    console session; neither is accepted on the other's channel."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), "api"
    return request.cookies.get(COOKIE), "session"


#: What an enterprise user may open: its home page, the enterprise portal, public pages, its own
#: account, and the API parts that scope to its own enterprise. Every other page is internal to
#: the agencies (cases, plans, leads, reviews, rankings) and answers 403 instead of failing.
ENTERPRISE_PATHS = ("/portal", "/account", "/public", "/logout", "/exports", "/api/v1/me", "/api/v1/auth", "/api/v1/registry",
                    "/api/v1/portal")


#: Documents served to the party (electronic service): the case service checks the enterprise.
ENTERPRISE_PATTERNS = (re.compile(r"^/cases/\d+/documents/\d+$"),)


def enterprise_may_open(path: str) -> bool:
    return (path == "/" or any(path == p or path.startswith(p + "/") or path.startswith(p + ".")
                               for p in ENTERPRISE_PATHS)
            or any(p.match(path) for p in ENTERPRISE_PATTERNS))


def get_actor(request: Request, db: DB) -> Actor:
    secret, kind = _secret(request)
    if not secret:
        raise NotAuthenticated("请先登录", code="auth.login_required")
    actor = resolve_token(db, secret, kind=kind)
    if actor.is_enterprise and not enterprise_may_open(request.url.path):
        request.state.actor = actor
        raise PermissionDenied("此页面仅限生态环境部门工作人员访问", code="auth.agency_only")
    if not actor.is_enterprise and actor.agency_path is None:
        request.state.actor = actor
        raise PermissionDenied("您的账号未关联执法机构，请联系管理员", code="auth.no_agency")
    if actor.extra.get("scope") == "read" and request.method not in SAFE_METHODS:
        raise PermissionDenied("此API令牌为只读令牌，不能修改数据", code="auth.token_read_only")
    request.state.actor = actor
    return actor


def get_optional_actor(request: Request, db: DB) -> Actor | None:
    try:
        return get_actor(request, db)
    except NotAuthenticated:
        return None


CurrentActor = Annotated[Actor, Depends(get_actor)]
OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]
