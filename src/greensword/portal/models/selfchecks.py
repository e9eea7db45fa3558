"""Self-checks (自查): the firm goes through the same checklist (一单) as an inspection, once per
period its industry and class call for, with photos; each problem becomes a rectification item."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...core.db import Base, TZDateTime
from ...registry.models import Agency, Enterprise


class SelfCheck(Base):
    __tablename__ = "portal_selfcheck"
    __table_args__ = (UniqueConstraint("enterprise_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    checklist_name: Mapped[str] = mapped_column(String(100))
    #: item code → {"text", "result": ok | problem | na, "note"}
    items: Mapped[dict] = mapped_column(JSON, default=dict)
    files: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    submitted_by: Mapped[str] = mapped_column(String(64))
    #: "no problem" while the monitoring data had open exceedance leads in the period
    contradicts_data: Mapped[bool] = mapped_column(Boolean, default=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
