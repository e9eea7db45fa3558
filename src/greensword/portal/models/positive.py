"""正面清单: a firm's application (or an officer's proposal) to be listed, the decision, and the
removal with its reason and what triggered it (a penalty, a confirmed lead, by hand)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, TZDateTime


class PositiveListing(Base):
    __tablename__ = "portal_positive_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: application (by the firm) | proposal (by an officer) | registry (listed before the portal)
    origin: Mapped[str] = mapped_column(String(12))
    statement: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    #: [{code, label, ok, detail}] as checked when applied and when decided
    criteria: Mapped[list] = mapped_column(JSON, default=list)
    applied_by: Mapped[str] = mapped_column(String(64))
    applied_on: Mapped[date] = mapped_column(Date)
    applied_at: Mapped[datetime] = mapped_column(TZDateTime)
    #: pending | listed | rejected | review (a confirmed lead awaits the officer) | removed
    status: Mapped[str] = mapped_column(String(12), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    review_trigger: Mapped[str] = mapped_column(String(64), default="")
    removed_by: Mapped[str | None] = mapped_column(String(64))
    removed_on: Mapped[date | None] = mapped_column(Date)
    removal_reason: Mapped[str] = mapped_column(Text, default="")
    #: penalty:<case id> | lead:<lead id> | manual
    removal_trigger: Mapped[str] = mapped_column(String(64), default="")
