"""Spine routes: login/logout, the home page, the audit trail, and their API twins."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from ..core import audit
from ..core.auth import (
    ROLES,
    actor_for,
    add_enterprise_user,
    enterprise_users,
    list_tokens,
    login,
    require_role,
    revoke_token,
    revoke_token_id,
)
from ..core.models import AuditEntry
from ..registry import service as registry
from ..settings import get_settings
from ..webkit.deps import COOKIE, DB, CurrentActor
from ..webkit.templating import NavItem, add_nav, render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["auth", "audit"])

add_nav(NavItem("首页", "/", order=0), NavItem("审计日志", "/audit", roles=("admin",), order=900),
        NavItem("企业账号", "/account/users", roles=("enterprise_admin",), order=800))


@router.get("/account/users")
def account_users(request: Request, db: DB, actor: CurrentActor):
    return render(request, "core/users.html", {"users": enterprise_users(db, actor), "roles": ROLES})


@router.post("/account/users")
def account_users_add(request: Request, db: DB, actor: CurrentActor, username: Annotated[str, Form(max_length=64)],
                      password: Annotated[str, Form(max_length=200)],
                      display_name: Annotated[str, Form(max_length=100)] = "", admin: Annotated[str, Form()] = ""):
    from ..core.errors import DomainError

    try:
        add_enterprise_user(db, actor, username=username, password=password, display_name=display_name,
                            admin=admin == "1")
    except DomainError as exc:
        db.rollback()
        return render(request, "core/users.html", {"users": enterprise_users(db, actor), "roles": ROLES,
                                                   "error": exc.message, "form": {"username": username,
                                                                                  "display_name": display_name}},
                      status_code=exc.status)
    return RedirectResponse("/account/users?added=1", status_code=303)


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "core/login.html", {"next": _safe_next(next)})


@router.post("/login")
def login_submit(request: Request, db: DB, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 next: Annotated[str, Form()] = "/"):
    from ..core.errors import NotAuthenticated, TooManyRequests

    try:
        secret, _user = login(db, username, password, address=_address(request))
    except (NotAuthenticated, TooManyRequests) as exc:
        return render(request, "core/login.html", {"next": next, "error": exc.message, "username": username},
                      status_code=exc.status)
    target = _safe_next(next)
    resp = RedirectResponse(target, status_code=303)
    s = get_settings()
    resp.set_cookie(COOKIE, secret, httponly=True, samesite="lax", secure=s.cookie_secure, max_age=s.session_ttl_s)
    return resp


@router.post("/logout")
def logout(request: Request, db: DB):
    secret = request.cookies.get(COOKIE)
    if secret:
        revoke_token(db, secret)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


@router.get("/")
def home(request: Request, db: DB, actor: CurrentActor):
    if actor.is_enterprise:
        enterprise = registry.get_enterprise(db, actor, actor.enterprise_id)
        points = registry.list_points(db, actor, enterprise_id=enterprise.id).items
        return render(request, "core/home.html", {"enterprise": enterprise, "points": points, "roles": ROLES,
                                                   "classes": registry.classes()})
    counts = registry.counts(db, actor)
    agency = registry.get_agency(db, actor, actor.agency_id) if actor.agency_id else None
    return render(request, "core/home.html", {"counts": counts, "agency": agency, "roles": ROLES})


def _require_audit_reader(actor) -> None:
    """The chain spans every jurisdiction, so only provincial (or ministry) admins and leaders read it."""
    from ..core.errors import PermissionDenied

    require_role(actor, "admin", "leader")
    depth = len([x for x in (actor.agency_path or "").split("/") if x])
    if actor.agency_path is None or (actor.agency_path != "/" and depth > 2):
        raise PermissionDenied("审计日志仅限省级及以上管理员、负责人查看", code="auth.audit_scope")


@router.get("/audit")
def audit_page(request: Request, db: DB, actor: CurrentActor, entity_type: str = "", page: int = 1):
    _require_audit_reader(actor)
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    entries = list(db.execute(stmt.offset((page - 1) * 100).limit(100)).scalars())
    total = db.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    return render(request, "core/audit.html", {"entries": entries, "total": total, "page": page,
                                                 "entity_type": entity_type})


@router.post("/audit/verify")
def audit_verify_page(request: Request, db: DB, actor: CurrentActor):
    _require_audit_reader(actor)
    result = audit.verify(db)
    return render(request, "core/audit_verify.html", {"result": result})


class TokenIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    label: str = Field("api", max_length=100)
    #: "read" (GET only) or "write".
    scope: Literal["read", "write"] = "read"
    #: Lifetime in days (default and maximum from the settings).
    days: int | None = Field(None, ge=1, le=3650)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    scope: str
    expires_at: datetime


class TokenInfo(BaseModel):
    id: int
    label: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool


class MeOut(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    agency_id: int | None
    enterprise_id: int | None


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    message: str


@api_router.post("/auth/token", response_model=TokenOut)
def api_token(request: Request, body: TokenIn, db: DB):
    """Exchange a username and password for an API bearer token (scoped, expiring, revocable).
    API tokens are accepted only in the ``Authorization: Bearer`` header, never as the console's
    session cookie."""
    from datetime import timedelta

    ttl = timedelta(days=body.days) if body.days else None
    secret, user = login(db, body.username, body.password, kind="api", label=body.label, ttl=ttl,
                         address=_address(request), scope=body.scope)
    tok = list_tokens(db, actor_for(db, user))[0]
    return TokenOut(access_token=secret, scope=tok.scope, expires_at=tok.expires_at)


@api_router.get("/auth/tokens", response_model=list[TokenInfo])
def api_tokens(db: DB, actor: CurrentActor):
    """The caller's API tokens (never the secrets)."""
    return [TokenInfo.model_validate(t, from_attributes=True) for t in list_tokens(db, actor)]


@api_router.delete("/auth/tokens/{token_id}", response_model=TokenInfo)
def api_revoke_token(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DB, actor: CurrentActor):
    """Revoke one of the caller's API tokens (admins: anyone's)."""
    return TokenInfo.model_validate(revoke_token_id(db, actor, token_id), from_attributes=True)


@api_router.get("/me", response_model=MeOut)
def api_me(actor: CurrentActor):
    return MeOut(username=actor.username, display_name=actor.display_name, roles=sorted(actor.roles),
                 agency_id=actor.agency_id, enterprise_id=actor.enterprise_id)


@api_router.get("/audit/verify", response_model=VerifyOut)
def api_audit_verify(db: DB, actor: CurrentActor):
    _require_audit_reader(actor)
    r = audit.verify(db)
    return VerifyOut(ok=r.ok, checked=r.checked, first_bad_seq=r.first_bad_seq, message=r.message())
