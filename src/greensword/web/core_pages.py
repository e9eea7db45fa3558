"""Spine routes: login/logout, the home page, the audit trail, and their API twins."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import func, select

from ..core import audit
from ..core.auth import ROLES, login, require_role, revoke_token
from ..core.models import AuditEntry
from ..registry import service as registry
from ..settings import get_settings
from ..webkit.deps import COOKIE, DB, CurrentActor
from ..webkit.templating import NavItem, add_nav, render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["auth", "audit"])

add_nav(NavItem("首页", "/", order=0), NavItem("审计日志", "/audit", roles=("admin",), order=900))


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "core/login.html", {"next": next})


@router.post("/login")
def login_submit(request: Request, db: DB, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 next: Annotated[str, Form()] = "/"):
    from ..core.errors import NotAuthenticated

    try:
        secret, _user = login(db, username, password)
    except NotAuthenticated as exc:
        return render(request, "core/login.html", {"next": next, "error": exc.message, "username": username},
                      status_code=401)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
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
    username: str
    password: str
    label: str = "api"


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


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
def api_token(body: TokenIn, db: DB):
    """Exchange a username and password for an API bearer token."""
    secret, _ = login(db, body.username, body.password, kind="api", label=body.label)
    return TokenOut(access_token=secret)


@api_router.get("/me", response_model=MeOut)
def api_me(actor: CurrentActor):
    return MeOut(username=actor.username, display_name=actor.display_name, roles=sorted(actor.roles),
                 agency_id=actor.agency_id, enterprise_id=actor.enterprise_id)


@api_router.get("/audit/verify", response_model=VerifyOut)
def api_audit_verify(db: DB, actor: CurrentActor):
    _require_audit_reader(actor)
    r = audit.verify(db)
    return VerifyOut(ok=r.ok, checked=r.checked, first_bad_seq=r.first_bad_seq, message=r.message())
