"""Authentication (argon2 passwords, session cookies, API tokens) and jurisdiction scoping.

Jurisdiction is enforced in the service layer: every service function takes an :class:`Actor`
and uses :func:`check_agency`, :func:`check_enterprise` or :func:`scope` so that the API, the
console and the CLI all get the same answer. Agencies carry a materialised path ("/1/4/17/"), so
"within the subtree" is a prefix test.
"""

import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from .audit import record, record_many
from .errors import NotAuthenticated, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from .locks import lock_row
from .models import AuthToken, User
from .timeutil import now

ROLES = {
    "officer": "执法人员",
    "reviewer": "法制审核/评查人员",
    "leader": "负责人",
    "admin": "系统管理员",
    "evaluator": "评审人员",
    "enterprise": "企业用户",
    "enterprise_admin": "企业管理员",
}

#: Argon2id at the OWASP Password Storage Cheat Sheet's recommended minimum (19 MiB, 2 passes,
#: one lane; RFC 9106 §4 leaves memory and passes to what the host affords). The library's default
#: (64 MiB, 3 passes, 4 lanes) costs ≈ 5× the CPU and four threads per sign-in: on a two-core
#: host 200 officers signing in at the start of the day waited 6–12 s and starved every page.
#: Stored hashes with other parameters still verify and are rehashed at the next sign-in.
ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**ARGON2)


def _argon2_slots() -> int:
    """Hashes computed at once in this process: the host's cores shared by its server workers. A
    burst of sign-ins queues here (each waits its turn, a few tens of ms) instead of running all at
    once, which made every request on the host — and every transaction holding a lock — crawl."""
    from ..settings import get_settings

    return max(1, (os.cpu_count() or 1) // max(1, get_settings().worker_count))


_argon2_gate: threading.BoundedSemaphore | None = None
_gate_lock = threading.Lock()


def _gate() -> threading.BoundedSemaphore:
    global _argon2_gate
    with _gate_lock:
        if _argon2_gate is None:
            _argon2_gate = threading.BoundedSemaphore(_argon2_slots())
        return _argon2_gate


def hash_password(password: str) -> str:
    if len(password or "") < 8:
        raise ValidationFailed("密码长度不得少于8位", code="auth.password_too_short")
    with _gate():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _gate():
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


def require_agency_user(actor: Actor, what: str = "此页面") -> None:
    """Internal pages (cases, plans, reviews, rankings) are for agency staff, never enterprises."""
    if actor.is_enterprise or actor.agency_path is None:
        raise PermissionDenied(f"{what}仅限生态环境部门工作人员访问", code="auth.agency_only")


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


R = TypeVar("R")


def get_in_scope(session: Session, actor: Actor, model: type[R], ident: Any, *, what: str, code: str,
                 path: Callable[[Any], str | None] = lambda row: row.agency.path,
                 enterprise: Callable[[Any], int] | None = None, lock: bool = False) -> R:
    """The row ``ident`` of ``model``, or NotFound (``code``, "<what> <ident> 不存在"); then the
    jurisdiction check: the actor's agency subtree covers ``path(row)`` (and, when ``enterprise`` is
    given, an enterprise user sees only the row whose ``enterprise(row)`` is its own).
    ``lock=True`` for a state change: the row is locked and read after the lock (core.locks)."""
    row = lock_row(session, model, ident) if lock else session.get(model, ident)
    if row is None:
        raise NotFound(f"{what} {ident} 不存在", code=code)
    if enterprise is not None:
        check_enterprise(actor, enterprise(row), path(row), f"该{what}")
    else:
        check_agency(actor, path(row), f"该{what}")
    return row


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
    return create_users(session, actor, [dict(username=username, password=password, roles=roles,
                                              display_name=display_name, agency_id=agency_id,
                                              enterprise_id=enterprise_id, officer_id=officer_id,
                                              password_hash=password_hash)])[0]


def create_users(session: Session, actor: Actor | str | None, items: list[dict]) -> list[User]:
    """Create accounts (each item ``create_user``'s arguments), each checked as ``create_user``
    checks one (a name taken, already or earlier in the batch, refuses the batch), written with one
    flush and audited one by one."""
    names = [x["username"] for x in items]
    taken = set(session.execute(select(User.username).where(User.username.in_(set(names)))).scalars()) \
        if items else set()
    out = []
    for x in items:
        out.append(_new_user(taken, **x))
        taken.add(out[-1].username)
    if not out:
        return out
    session.add_all(out)
    session.flush()
    record_many(session, actor, "user.create", [("user", u.id, user_state(u)) for u in out])
    return out


def _new_user(taken: set[str], *, username: str, password: str, roles: list[str], display_name: str = "",
              agency_id: int | None = None, enterprise_id: int | None = None, officer_id: int | None = None,
              password_hash: str | None = None) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationFailed(f"未知角色：{'、'.join(unknown)}", code="auth.unknown_role")
    if not roles:
        raise ValidationFailed("用户至少需要一个角色", code="auth.no_role")
    if "enterprise_admin" in roles and "enterprise" not in roles:
        roles = [*roles, "enterprise"]
    if "enterprise" in roles and enterprise_id is None:
        raise ValidationFailed("企业用户必须关联企业", code="auth.enterprise_required")
    if "enterprise" not in roles and agency_id is None:
        raise ValidationFailed("机关用户必须关联所属机构", code="auth.agency_required")
    if username in taken:
        raise ValidationFailed(f"用户名“{username}”已存在", code="auth.username_taken")
    return User(
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


#: The registry's agency table, read by name (``users.agency_id`` already references it) so the
#: core never imports a domain's models.
_AGENCY = table("agency", column("id"), column("path"))


def create_enterprise_accounts(session: Session, actor: Actor | str, enterprises: list[tuple[int, str, str]], *,
                               password_hash: str) -> int:
    """One ``ent-<USCC>`` administrator account per (enterprise id, USCC, name) that has none yet,
    inserted in bulk with one audit entry each (the demo province has ~20,000 enterprises)."""
    from sqlalchemy import insert

    have = set(session.execute(select(User.username).where(User.username.like("ent-%"))).scalars())
    t = now()
    rows = [{"username": f"ent-{uscc}", "display_name": name[:100], "password_hash": password_hash,
             "roles": ["enterprise", "enterprise_admin"], "agency_id": None, "enterprise_id": eid,
             "officer_id": None, "active": True, "created_at": t}
            for eid, uscc, name in enterprises if f"ent-{uscc}" not in have]
    if not rows:
        return 0
    session.execute(insert(User), rows)
    ids = dict(session.execute(select(User.username, User.id).where(User.username.like("ent-%"))).all())
    items = []
    for r in rows:
        state = {k: r[k] for k in ("username", "display_name", "roles", "agency_id", "enterprise_id", "officer_id",
                                   "active")}
        items.append(("user", ids[r["username"]], state))

    record_many(session, actor, "user.create", items)
    return len(rows)


def add_enterprise_user(session: Session, actor: Actor, *, username: str, password: str, display_name: str = "",
                        admin: bool = False) -> User:
    """An enterprise administrator adds a colleague's account to its own enterprise."""
    if not actor.is_enterprise or not actor.has("enterprise_admin") or actor.enterprise_id is None:
        raise PermissionDenied("只有企业管理员可以为本企业添加用户", code="auth.enterprise_admin_required")
    username = (username or "").strip()
    if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "-_." for c in username):
        raise ValidationFailed("用户名须为3至64位字母、数字或 - _ .", code="auth.username_invalid")
    roles = ["enterprise", "enterprise_admin"] if admin else ["enterprise"]
    return create_user(session, actor, username=username, password=password, roles=roles,
                       display_name=display_name or username, enterprise_id=actor.enterprise_id)


def enterprise_users(session: Session, actor: Actor) -> list[User]:
    if not actor.is_enterprise or actor.enterprise_id is None:
        raise PermissionDenied("仅限企业用户", code="auth.enterprise_only")
    return list(session.execute(select(User).where(User.enterprise_id == actor.enterprise_id)
                                .order_by(User.id)).scalars())


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


SCOPES = {"read": "只读", "write": "读写"}
TOKEN_KINDS = ("session", "api")

_dummy_hash: str | None = None


def _dummy_verify(password: str) -> None:
    """Spend the same argon2 time for an unknown user as for a known one (no user enumeration)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def _throttle_keys(username: str, address: str | None) -> list[tuple[str, int]]:
    from ..settings import get_settings

    s = get_settings()
    keys = [(f"user:{(username or '').strip().lower()[:150]}", s.login_user_failures)]
    if address:
        keys.append((f"addr:{address[:150]}", s.login_addr_failures))
    return keys


def _locked(session: Session, keys: list[tuple[str, int]]) -> datetime | None:
    from .models import LoginThrottle

    t = now()
    until = None
    for key, _limit in keys:
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > t:
            until = max(until or row.locked_until, row.locked_until)
    return until


def _note_failure(session: Session, keys: list[tuple[str, int]]) -> None:
    """Count a failure in its own transaction: the request's transaction rolls back on refusal."""
    from ..settings import get_settings
    from .models import LoginThrottle

    s = get_settings()
    t = now()
    with Session(bind=session.get_bind()) as own:
        for key, limit in keys:
            row = own.get(LoginThrottle, key)
            if row is None:
                row = LoginThrottle(key=key, failures=0, window_start=t)
                own.add(row)
            if row.window_start + timedelta(seconds=s.login_window_s) < t:
                row.failures, row.window_start = 0, t
            row.failures += 1
            if row.failures >= limit:
                row.locked_until = t + timedelta(seconds=s.login_lockout_s)
                row.failures, row.window_start = 0, t
        own.commit()


def _clear_failures(session: Session, username: str) -> None:
    from .models import LoginThrottle

    row = session.get(LoginThrottle, _throttle_keys(username, None)[0][0])
    if row is not None:
        session.delete(row)


def login(session: Session, username: str, password: str, *, kind: str = "session", label: str = "",
          ttl: timedelta | None = None, address: str | None = None, scope: str = "write") -> tuple[str, User]:
    """Check the password and issue a token; returns (secret, user). The secret is shown once.

    Failures count per user name and per client address; past the limits both are locked for a
    while (same answer whether or not the user exists, and the same argon2 time)."""
    keys = _throttle_keys(username, address)
    until = _locked(session, keys)
    if until is not None:
        minutes = max(1, int((until - now()).total_seconds() // 60) + 1)
        raise TooManyRequests(f"登录失败次数过多，请{minutes}分钟后再试", code="auth.locked")
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        _dummy_verify(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    if not ok:
        _note_failure(session, keys)
        raise NotAuthenticated("用户名或密码错误", code="auth.bad_credentials")
    _clear_failures(session, username)
    if _hasher.check_needs_rehash(user.password_hash):
        with _gate():
            user.password_hash = _hasher.hash(password)
    return issue_token(session, user, kind=kind, label=label, ttl=ttl, scope=scope), user


def issue_token(session: Session, user: User, *, kind: str = "session", label: str = "",
                ttl: timedelta | None = None, scope: str = "write") -> str:
    from ..settings import get_settings

    s = get_settings()
    if kind not in TOKEN_KINDS:
        raise ValidationFailed(f"未知令牌类型：{kind}", code="auth.token_kind")
    if scope not in SCOPES:
        raise ValidationFailed(f"未知令牌权限范围：{scope}（可选：read、write）", code="auth.token_scope")
    if kind == "session":
        ttl = ttl or timedelta(seconds=s.session_ttl_s)
        scope = "write"
    else:
        ttl = ttl or timedelta(days=s.api_token_days)
        if ttl > timedelta(days=s.api_token_max_days) or ttl <= timedelta(0):
            raise ValidationFailed(f"API令牌有效期须在1至{s.api_token_max_days}天之间", code="auth.token_ttl")
    secret = secrets.token_urlsafe(32)
    t = now()
    tok = AuthToken(
        token_sha256=_sha(secret),
        user_id=user.id,
        kind=kind,
        label=label[:100],
        created_at=t,
        expires_at=t + ttl,
        scope=scope,
        last_used_at=t,
        revoked=False,
    )
    session.add(tok)
    session.flush()
    record(session, user.username, f"token.issue.{kind}", "user", user.id,
           {"token_id": tok.id, "label": label, "scope": scope}, changes_data=False)
    return secret


def resolve_token(session: Session, secret: str, *, kind: str | None = None) -> Actor:
    """The actor behind a secret. ``kind`` pins what the channel accepts: the session cookie takes
    only console sessions, the Authorization header only API tokens."""
    from ..settings import get_settings

    tok = session.execute(select(AuthToken).where(AuthToken.token_sha256 == _sha(secret or ""))).scalar_one_or_none()
    t = now()
    if tok is None or tok.revoked or (tok.expires_at is not None and tok.expires_at < t):
        raise NotAuthenticated("登录已失效，请重新登录", code="auth.token_invalid")
    if kind is not None and tok.kind != kind:
        raise NotAuthenticated("登录已失效，请重新登录", code="auth.token_invalid")
    if tok.kind == "session":
        idle = timedelta(seconds=get_settings().session_idle_s)
        if (tok.last_used_at or tok.created_at) + idle < t:
            raise NotAuthenticated("长时间未操作，登录已失效，请重新登录", code="auth.session_idle")
    if tok.last_used_at is None or tok.last_used_at + timedelta(seconds=60) < t:
        tok.last_used_at = t
    user = session.get(User, tok.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("账号已停用", code="auth.user_inactive")
    actor = actor_for(session, user)
    actor.extra.update(token_kind=tok.kind, scope=tok.scope or "write", token_id=tok.id)
    return actor


def revoke_token(session: Session, secret: str) -> None:
    tok = session.execute(select(AuthToken).where(AuthToken.token_sha256 == _sha(secret or ""))).scalar_one_or_none()
    if tok is not None and not tok.revoked:
        tok.revoked = True
        record(session, "system", "token.revoke", "user", tok.user_id, {"token_id": tok.id}, changes_data=False)


def list_tokens(session: Session, actor: Actor) -> list[AuthToken]:
    """The actor's own API tokens, newest first."""
    if actor.user_id is None:
        return []
    return list(session.execute(select(AuthToken).where(AuthToken.user_id == actor.user_id, AuthToken.kind == "api")
                                .order_by(AuthToken.id.desc())).scalars())


def revoke_token_id(session: Session, actor: Actor, token_id: int) -> AuthToken:
    """Revoke one of the actor's tokens (an admin may revoke anyone's)."""
    from .errors import NotFound

    tok = session.get(AuthToken, token_id)
    if tok is None or (tok.user_id != actor.user_id and not actor.has("admin")):
        raise NotFound("令牌不存在", code="auth.token_not_found")
    if not tok.revoked:
        tok.revoked = True
        record(session, actor, "token.revoke", "user", tok.user_id, {"token_id": tok.id}, changes_data=False)
    return tok
