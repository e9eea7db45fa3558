"""FastAPI dependencies shared by every domain's routes: the database session (one transaction
per request, committed before the response is sent) and the current actor (session cookie for
the console, ``Authorization: Bearer`` token for the API)."""

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ..core.auth import Actor, resolve_token
from ..core.db import session_scope
from ..core.errors import NotAuthenticated, PermissionDenied

COOKIE = "gs_session"


def get_db(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.engine) as session:
        yield session


DB = Annotated[Session, Depends(get_db, scope="function")]


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
