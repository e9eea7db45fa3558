"""Complaint tables: public reports (信访, 12369 hotline/web/WeChat) with their statutory clocks,
the complainant's identity kept apart from the matter, and the handling history."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..registry.models import Agency, Enterprise


class Complaint(Base):
    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: tracking code handed to the complainant (查询码)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    matter: Mapped[str] = mapped_column(String(16), index=True)
    content: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    #: received | accepted | rejected | forwarded | assigned | investigating | concluded | replied
    status: Mapped[str] = mapped_column(String(16), index=True, default="received")
    duplicate_of: Mapped[int | None] = mapped_column(Integer)
    accept_due: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    reply_due: Mapped[date | None] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    assigned_on: Mapped[date | None] = mapped_column(Date)
    #: usernames who handle it: the only non-leader accounts that see the complainant's identity
    handlers: Mapped[list] = mapped_column(JSON, default=list)
    #: the on-site check opened for it (indexed: a case opened from that check finds its complaint)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_ref: Mapped[str] = mapped_column(String(60), default="")
    substantiated: Mapped[bool | None] = mapped_column(Boolean)
    #: onsite (现场检查) | offsite (非现场核查：在线监测、用电、视频) | desk (书面核查)
    check_method: Mapped[str | None] = mapped_column(String(16))
    findings: Mapped[str] = mapped_column(Text, default="")
    concluded_on: Mapped[date | None] = mapped_column(Date)
    reply_text: Mapped[str] = mapped_column(Text, default="")
    replied_on: Mapped[date | None] = mapped_column(Date)
    #: satisfied | basic | unsatisfied
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    reward_yuan: Mapped[int] = mapped_column(Integer, default=0)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency | None] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")


class Complainant(Base):
    """Who complained, in a table of its own so that lists never load it by accident."""

    __tablename__ = "complaint_person"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")


class ComplaintEvent(Base):
    __tablename__ = "complaint_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    on: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(TZDateTime)
