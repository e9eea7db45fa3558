"""Warnings (预警提醒): an off-site lead an officer marks "remind" becomes a warning the firm must
answer by a deadline (explanation with evidence, or an admission with a commitment to rectify);
the officer then accepts the answer or escalates to an on-site inspection."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.db import Base, TZDateTime
from ...registry.models import Agency, Enterprise


class PortalWarning(Base):
    __tablename__ = "portal_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the off-site lead (no foreign key into the offsite tables: they belong to that domain)
    lead_id: Mapped[int] = mapped_column(Integer, unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    key_discharger: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    sent_by: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    #: sent | answered | accepted | escalated
    status: Mapped[str] = mapped_column(String(16), default="sent", index=True)
    #: explain | admit
    answer_kind: Mapped[str | None] = mapped_column(String(16))
    answer_text: Mapped[str] = mapped_column(Text, default="")
    rectify_by: Mapped[date | None] = mapped_column(Date)
    answered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    #: [{sha256, name, mime, size}]
    files: Mapped[list] = mapped_column(JSON, default=list)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[int | None] = mapped_column(Integer)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
