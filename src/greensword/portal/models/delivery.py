"""电子送达: the enterprise's consent (送达地址确认书: who signed, when, which documents; withdrawable)
and each electronic delivery of a case's documents with its receipt (first opened, confirmed)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...core.db import Base, TZDateTime


class ServiceConsent(Base):
    __tablename__ = "portal_service_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    #: document kinds the consent covers (cases' document kinds, from rules/portal/delivery.yaml)
    documents: Mapped[list] = mapped_column(JSON, default=list)
    signer_name: Mapped[str] = mapped_column(String(64))
    signer_role: Mapped[str] = mapped_column(String(32))
    #: where notices of a new delivery go besides the portal (optional mobile number)
    notify_mobile: Mapped[str] = mapped_column(String(20), default="")
    given_by: Mapped[str] = mapped_column(String(64))
    given_on: Mapped[date] = mapped_column(Date)
    given_at: Mapped[datetime] = mapped_column(TZDateTime)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")


class Delivery(Base):
    """One electronic service of a case's decision bundle (五书同达) in the portal."""

    __tablename__ = "portal_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("portal_service_consent.id"))
    #: [{id, kind, title, sha256, version}] of the documents served
    documents: Mapped[list] = mapped_column(JSON, default=list)
    #: sent | served | served_other (served by another method first) | void (consent withdrawn)
    status: Mapped[str] = mapped_column(String(16), default="sent", index=True)
    sent_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(TZDateTime)
    first_opened_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    opened_by: Mapped[str | None] = mapped_column(String(64))
    #: document ids opened at least once
    opened_documents: Mapped[list] = mapped_column(JSON, default=list)
    confirmed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    served_on: Mapped[date | None] = mapped_column(Date)
    views: Mapped[int] = mapped_column(Integer, default=0)
