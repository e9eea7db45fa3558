"""Notifications: what the portal tells a firm (a new warning, an order, an overdue item) or the
county (an answer received, a late answer, an overdue rectification)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, TZDateTime


class Notification(Base):
    __tablename__ = "portal_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: enterprise (the firm's users) | agency (the county's officers)
    audience: Mapped[str] = mapped_column(String(16), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(TZDateTime)
