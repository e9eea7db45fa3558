"""Rectification items (整改): orders from cases (责令改正, 限产停产 plans, 按日连续处罚 re-inspection),
problems found by inspections and the firm's own self-check findings, each with a deadline; the
firm reports progress with evidence, the officer verifies and closes; overdue items escalate."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.db import Base, TZDateTime
from ...registry.models import Agency, Enterprise


class Rectification(Base):
    __tablename__ = "portal_rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: case | inspection | selfcheck | warning
    source: Mapped[str] = mapped_column(String(16), index=True)
    #: what it came from, unique per item ("case:12:correction", "selfcheck:4:vocs", …)
    source_ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    #: open | reported | closed
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class RectificationReport(Base):
    """One progress report by the firm, or the officer's verdict on it (returned / closed)."""

    __tablename__ = "portal_rectification_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("portal_rectification.id"), index=True)
    #: report | return | close
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[list] = mapped_column(JSON, default=list)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime)
