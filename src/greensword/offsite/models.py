"""Leads (线索) from off-site screening, with their lifecycle and evidence."""

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..core.summary import delta_table
from ..registry.models import Enterprise


class Lead(Base):
    __tablename__ = "offsite_lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(String(24), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    factor: Mapped[str] = mapped_column(String(16))
    detector: Mapped[str] = mapped_column(String(24), index=True)
    start: Mapped[datetime] = mapped_column(TZDateTime)
    end: Mapped[datetime] = mapped_column(TZDateTime)
    score: Mapped[float] = mapped_column(Float)
    rank_score: Mapped[float] = mapped_column(Float, index=True)
    #: new | screened | reminded | inspection | closed
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    #: confirmed | dismissed (after screening)
    verdict: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    repeats: Mapped[int] = mapped_column(Integer, default=0)       # later findings folded into this lead
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    #: The inspection task opened for this lead. Recorded by the inspection domain (which owns that
    #: step) through ``service.act``; no foreign key, as offsite sits below inspection. Indexed: a
    #: case opened from that check finds its lead.
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)

    enterprise: Mapped[Enterprise | None] = relationship(lazy="joined")


class LeadMonth(Base):
    """Leads created per (Beijing month, agency) (offsite.figures.MONTH): kept by database triggers
    on offsite_lead in the same transaction as every write, summed by the statistics."""

    __tablename__ = "offsite_lead_month"

    ym: Mapped[int] = mapped_column(Integer, primary_key=True)           # yyyymm (Beijing)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


#: what the triggers append between folds (core.summary)
LeadMonthDelta = delta_table(LeadMonth.__table__)
