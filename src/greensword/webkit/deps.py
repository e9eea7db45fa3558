"""FastAPI dependencies shared by every domain's routes: the database session (one transaction
per request, committed before the response is sent) and the current actor (session cookie for
the console, ``Authorization: Bearer`` token for the API)."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ..core.auth import Actor, resolve_token
from ..core.db import session_factory
from ..core.errors import NotAuthenticated

COOKIE = "gs_session"


def get_db(request: Request) -> Iterator[Session]:
    session = session_factory(request.app.state.engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DB = Annotated[Session, Depends(get_db, scope="function")]


def _secret(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(COOKIE)


def get_actor(request: Request, db: DB) -> Actor:
    secret = _secret(request)
    if not secret:
        raise NotAuthenticated("请先登录", code="auth.login_required")
    actor = resolve_token(db, secret)
    request.state.actor = actor
    return actor


def get_optional_actor(request: Request, db: DB) -> Actor | None:
    try:
        return get_actor(request, db)
    except NotAuthenticated:
        return None


CurrentActor = Annotated[Actor, Depends(get_actor)]
OptionalActor = Annotated[Actor | None, Depends(get_optional_actor)]
