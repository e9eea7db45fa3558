"""信用修复: the firm's application to repair the credit record of one penalty decision (evidence,
commitment) and the agency's review with its outcome."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, TZDateTime


class CreditRepair(Base):
    __tablename__ = "portal_credit_repair"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    #: the deciding agency, which reviews (谁认定、谁修复)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    severity: Mapped[str] = mapped_column(String(12))
    explanation: Mapped[str] = mapped_column(Text)
    commitment: Mapped[str] = mapped_column(Text)
    #: [{sha256, filename, mime, size}]
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    applied_by: Mapped[str] = mapped_column(String(64))
    applied_on: Mapped[date] = mapped_column(Date)
    applied_at: Mapped[datetime] = mapped_column(TZDateTime)
    review_due: Mapped[date] = mapped_column(Date)
    #: pending | approved | rejected
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
