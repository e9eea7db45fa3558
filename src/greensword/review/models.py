"""Case-file review (案卷评查) rounds, the files drawn, scores, appeals."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..registry.models import Agency


class ReviewRound(Base):
    __tablename__ = "review_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)   # the reviewing agency
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    seed: Mapped[str] = mapped_column(String(200))
    population_hash: Mapped[str] = mapped_column(String(64))
    reviewers_hash: Mapped[str] = mapped_column(String(64))
    result_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict] = mapped_column(JSON)          # population, reviewers, params (published)
    published_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class ReviewFile(Base):
    __tablename__ = "review_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)      # the reviewed unit
    reviewer: Mapped[str] = mapped_column(String(64))
    #: assigned | scored | appealed | final
    status: Mapped[str] = mapped_column(String(16), default="assigned", index=True)
    deductions: Mapped[dict] = mapped_column(JSON, default=dict)     # item code → points deducted
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)        # item code → why it was deducted
    vetoes: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float | None] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_on: Mapped[date | None] = mapped_column(Date)
    appeal_reason: Mapped[str] = mapped_column(Text, default="")
    appeal_by: Mapped[str | None] = mapped_column(String(64))
    appealed_on: Mapped[date | None] = mapped_column(Date)
    second_reviewer: Mapped[str | None] = mapped_column(String(64))
    second_deductions: Mapped[dict] = mapped_column(JSON, default=dict)
    second_reasons: Mapped[dict] = mapped_column(JSON, default=dict)
    second_vetoes: Mapped[list] = mapped_column(JSON, default=list)
    final_score: Mapped[float | None] = mapped_column()
    decided_on: Mapped[date | None] = mapped_column(Date)
    points_total: Mapped[int] = mapped_column(Integer, default=100)
