"""执法稽查 tables: the annual audit plan, the units selected (with the metrics that selected them),
file pulls and re-checks, graded findings with recommendations, and their rectification."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..registry.models import Agency


class AuditPlan(Base):
    __tablename__ = "oversight_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    seed: Mapped[str] = mapped_column(String(200), default="")
    #: draft | selected
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: every unit's metrics at selection time, with flags: [{agency_id, name, metrics, flags}]
    metrics: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class AuditUnit(Base):
    __tablename__ = "oversight_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("oversight_plan.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: metrics | random
    reason: Mapped[str] = mapped_column(String(16))
    flags: Mapped[list] = mapped_column(JSON, default=list)
    team: Mapped[list] = mapped_column(JSON, default=list)
    #: selected | fieldwork | feedback | closed
    status: Mapped[str] = mapped_column(String(16), default="selected", index=True)
    feedback_on: Mapped[date | None] = mapped_column(Date)
    letter_sha: Mapped[str | None] = mapped_column(String(64))
    closed_on: Mapped[date | None] = mapped_column(Date)

    agency: Mapped[Agency] = relationship(lazy="joined")
    plan: Mapped[AuditPlan] = relationship(lazy="joined")


class FilePull(Base):
    """A case file or inspection record pulled for review, or an enterprise re-checked on site."""

    __tablename__ = "oversight_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("oversight_unit.id"), index=True)
    #: case | record | recheck
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(200))
    ref_id: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    deductions: Mapped[dict] = mapped_column(JSON, default=dict)
    #: for re-checks: consistent (与原检查结论一致) | inconsistent
    result: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    checked_on: Mapped[date | None] = mapped_column(Date)


class Finding(Base):
    __tablename__ = "oversight_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("oversight_unit.id"), index=True)
    area: Mapped[str] = mapped_column(String(40))
    #: meets | attention | improvement
    grade: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[str] = mapped_column(Text, default="")
    due: Mapped[date | None] = mapped_column(Date)
    #: none (meets) | open | planned | reported | closed
    status: Mapped[str] = mapped_column(String(16), index=True)
    plan_text: Mapped[str] = mapped_column(Text, default="")
    report_text: Mapped[str] = mapped_column(Text, default="")
    reported_on: Mapped[date | None] = mapped_column(Date)
    verified_on: Mapped[date | None] = mapped_column(Date)
    verify_note: Mapped[str] = mapped_column(Text, default="")
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
