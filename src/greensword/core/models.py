"""Spine tables: users, login sessions / API tokens, and the hash-chained audit trail."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, TZDateTime


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    #: Comma-free list of role names (see core.auth.ROLES).
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The user's jurisdiction: they see this agency's subtree. Null only for enterprise users.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    #: Set for enterprise users: they see only this enterprise's records.
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class AuthToken(Base):
    """A console session (kind 'session', sliding expiry) or an API token (kind 'api').
    Only the SHA-256 of the secret is stored."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: API tokens: "read" (GET/HEAD only) or "write". Sessions carry "write".
    scope: Mapped[str] = mapped_column(String(16), default="write", server_default="write")
    #: Last time the token was used (sessions: drives the idle timeout).
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class LoginThrottle(Base):
    """Failed sign-ins counted per key ("user:<name>" or "addr:<ip>") within a window; a key over
    its limit is locked until ``locked_until``. Kept in the database so every worker process and
    host behind a load balancer shares the count."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(TZDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime)


class AuditEntry(Base):
    """One link of the audit chain. ``entry_hash`` covers every other column and the previous
    entry's hash, so editing, deleting or reordering any row breaks verification from there on."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    state_digest: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """Single row holding the chain's tip; locked (SELECT … FOR UPDATE) while appending so
    concurrent writers on PostgreSQL serialise instead of forking the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))


class DataHead(Base):
    """The head of the audit entries of data-changing actions (``core.audit``; sign-ins, sign-outs,
    token events and logged reads leave it alone): sequence and hash of the last such entry.
    Cached figures (``core.cache``) are keyed to it, so a sign-in does not throw them away while
    any recorded change — from any worker process or host — does."""

    __tablename__ = "data_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))


class RateLimitHit(Base):
    """One allowed request counted against a rate limit (``core.ratelimit``): the key names the
    limit and the client ("disclosure.requests:1.2.3.4"), ``expires`` is when the hit leaves the
    sliding window (epoch seconds). Kept in the database so every worker process and every host
    behind a load balancer counts the same requests."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_key_expires", "key", "expires"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(240))
    expires: Mapped[float] = mapped_column(Float, index=True)


class ExportJob(Base):
    """A long list export written in the background (``webkit.exports``): who asked (only they may
    see or download it), what file, how far it is. Kept in the database so whichever worker
    process answers the progress polls reads the same state; removed with its file after
    ``export_keep_s``."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The job's name in its URLs (random, so job pages cannot be enumerated).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    fmt: Mapped[str] = mapped_column(String(8))
    media_type: Mapped[str] = mapped_column(String(100))
    #: The list URL (path and filters) the export was started from.
    source: Mapped[str] = mapped_column(String(500), default="")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: queued, running, packing (rows written, the file being finished), done, failed
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime)
