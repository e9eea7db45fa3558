"""Authentication (argon2 passwords, session cookies, API tokens) and jurisdiction scoping.

Jurisdiction is enforced in the service layer: every service function takes an :class:`Actor`
and uses :func:`check_agency`, :func:`check_enterprise` or :func:`scope` so that the API, the
console and the CLI all get the same answer. Agencies carry a materialised path ("/1/4/17/"), so
"within the subtree" is a prefix test.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from .audit import record
from .errors import NotAuthenticated, PermissionDenied, ValidationFailed
from .models import AuthToken, User
from .timeutil import now

ROLES = {
    "officer": "执法人员",
    "reviewer": "法制审核/评查人员",
    "leader": "负责人",
    "admin": "系统管理员",
    "evaluator": "评审人员",
    "enterprise": "企业用户",
}

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password or "") < 8:
        raise ValidationFailed("密码长度不得少于8位", code="auth.password_too_short")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Actor:
    """Who is acting: resolved once per request/command and passed to every service call."""

    username: str
    roles: frozenset[str]
    agency_id: int | None = None
    #: Materialised path of the user's agency, e.g. "/1/4/17/"; "/" sees everything.
    agency_path: str | None = None
    enterprise_id: int | None = None
    user_id: int | None = None
    officer_id: int | None = None
    display_name: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def system(cls, name: str = "system") -> "Actor":
        return cls(username=name, roles=frozenset({"admin"}), agency_path="/")

    @property
    def is_enterprise(self) -> bool:
        return "enterprise" in self.roles

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def covers(self, agency_path: str | None) -> bool:
        """True when an agency (by its path) lies within this actor's jurisdiction."""
        if self.is_enterprise or self.agency_path is None or agency_path is None:
            return False
        return agency_path.startswith(self.agency_path)


def require_role(actor: Actor, *roles: str) -> None:
    if not actor.has(*roles):
        names = "、".join(ROLES.get(r, r) for r in roles)
        raise PermissionDenied(f"此操作需要以下角色之一：{names}", code="auth.role_required")


def check_agency(actor: Actor, agency_path: str | None, what: str = "该记录") -> None:
    if not actor.covers(agency_path):
        raise PermissionDenied(f"{what}不在您的管辖范围内", code="auth.out_of_jurisdiction")


def check_enterprise(actor: Actor, enterprise_id: int, agency_path: str | None, what: str = "该企业记录") -> None:
    """Enterprise users see only their own enterprise; agency users see their subtree."""
    if actor.is_enterprise:
        if actor.enterprise_id != enterprise_id:
            raise PermissionDenied(f"{what}不属于本企业", code="auth.not_own_enterprise")
        return
    check_agency(actor, agency_path, what)


def scope(stmt, actor: Actor, agency_path_col, enterprise_id_col=None):
    """Restrict a SELECT to the actor's jurisdiction (subtree, or own enterprise)."""
    if actor.is_enterprise:
        if enterprise_id_col is None or actor.enterprise_id is None:
            return stmt.where(False)
        return stmt.where(enterprise_id_col == actor.enterprise_id)
    if actor.agency_path is None:
        return stmt.where(False)
    if actor.agency_path == "/":
        return stmt
    return stmt.where(agency_path_col.startswith(actor.agency_path, autoescape=True))


# --- users and tokens -------------------------------------------------------------------------


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_state(u: User) -> dict:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "roles": sorted(u.roles or []),
        "agency_id": u.agency_id,
        "enterprise_id": u.enterprise_id,
        "officer_id": u.officer_id,
        "active": u.active,
    }


def create_user(
    session: Session,
    actor: Actor | str | None,
    *,
    username: str,
    password: str,
    roles: list[str],
    display_name: str = "",
    agency_id: int | None = None,
    enterprise_id: int | None = None,
    officer_id: int | None = None,
    password_hash: str | None = None,
) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationFailed(f"未知角色：{'、'.join(unknown)}", code="auth.unknown_role")
    if not roles:
        raise ValidationFailed("用户至少需要一个角色", code="auth.no_role")
    if "enterprise" in roles and enterprise_id is None:
        raise ValidationFailed("企业用户必须关联企业", code="auth.enterprise_required")
    if "enterprise" not in roles and agency_id is None:
        raise ValidationFailed("机关用户必须关联所属机构", code="auth.agency_required")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise ValidationFailed(f"用户名“{username}”已存在", code="auth.username_taken")
    u = User(
        username=username,
        display_name=display_name or username,
        password_hash=password_hash or hash_password(password),
        roles=sorted(set(roles)),
        agency_id=agency_id,
        enterprise_id=enterprise_id,
        officer_id=officer_id,
        active=True,
        created_at=now(),
    )
    session.add(u)
    session.flush()
    record(session, actor, "user.create", "user", u.id, user_state(u))
    return u


#: The registry's agency table, read by name (``users.agency_id`` already references it) so the
#: core never imports a domain's models.
_AGENCY = table("agency", column("id"), column("path"))


def actor_for(session: Session, user: User) -> Actor:
    path = None
    if user.agency_id is not None:
        path = session.execute(select(_AGENCY.c.path).where(_AGENCY.c.id == user.agency_id)).scalar_one_or_none()
    return Actor(
        username=user.username,
        roles=frozenset(user.roles or []),
        agency_id=user.agency_id,
        agency_path=path,
        enterprise_id=user.enterprise_id,
        user_id=user.id,
        officer_id=user.officer_id,
        display_name=user.display_name,
    )


def login(session: Session, username: str, password: str, *, kind: str = "session", label: str = "",
          ttl: timedelta | None = None) -> tuple[str, User]:
    """Check the password and issue a token; returns (secret, user). The secret is shown once."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("用户名或密码错误", code="auth.bad_credentials")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return issue_token(session, user, kind=kind, label=label, ttl=ttl), user


def issue_token(session: Session, user: User, *, kind: str = "session", label: str = "",
                ttl: timedelta | None = None) -> str:
    from ..settings import get_settings

    if ttl is None and kind == "session":
        ttl = timedelta(seconds=get_settings().session_ttl_s)
    secret = secrets.token_urlsafe(32)
    tok = AuthToken(
        token_sha256=_sha(secret),
        user_id=user.id,
        kind=kind,
        label=label,
        created_at=now(),
        expires_at=now() + ttl if ttl else None,
    )
    session.add(tok)
    session.flush()
    record(session, user.username, f"token.issue.{kind}", "user", user.id, {"token_id": tok.id, "label": label})
    return secret


def resolve_token(session: Session, secret: str) -> Actor:
    tok = session.execute(select(AuthToken).where(AuthToken.token_sha256 == _sha(secret or ""))).scalar_one_or_none()
    if tok is None or tok.revoked or (tok.expires_at is not None and tok.expires_at < now()):
        raise NotAuthenticated("登录已失效，请重新登录", code="auth.token_invalid")
    user = session.get(User, tok.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("账号已停用", code="auth.user_inactive")
    return actor_for(session, user)


def revoke_token(session: Session, secret: str) -> None:
    tok = session.execute(select(AuthToken).where(AuthToken.token_sha256 == _sha(secret or ""))).scalar_one_or_none()
    if tok is not None and not tok.revoked:
        tok.revoked = True
        record(session, "system", "token.revoke", "user", tok.user_id, {"token_id": tok.id})
