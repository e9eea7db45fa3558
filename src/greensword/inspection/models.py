"""Inspection tables: plans and their draws (with frozen, hashed directory snapshots), officer
conflicts, tasks (routine from a draw, or targeted), on-site records with content-addressed
evidence, resumable uploads, amendments, and the hand-over of violations to the case domain."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..core.summary import delta_table
from ..registry.models import Agency, Enterprise


class Snapshot(Base):
    """A directory frozen for a draw; addressed by the SHA-256 of its canonical JSON."""

    __tablename__ = "inspection_snapshot"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # enterprises | officers
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Plan(Base):
    __tablename__ = "inspection_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: routine | joint (跨部门联合抽查) | cross_region (异地交叉执法)
    mode: Mapped[str] = mapped_column(String(16), default="routine")
    params: Mapped[dict] = mapped_column(JSON)
    #: draft | drawn
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    seed: Mapped[str | None] = mapped_column(String(200))
    enterprises_hash: Mapped[str | None] = mapped_column(String(64))
    officers_hash: Mapped[str | None] = mapped_column(String(64))
    params_hash: Mapped[str | None] = mapped_column(String(64))
    result_hash: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON)
    #: [{at, by, reason, previous_result_hash}]
    redraws: Mapped[list] = mapped_column(JSON, default=list)
    drawn_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    drawn_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class OfficerConflict(Base):
    """A declared relation (回避): the officer never inspects that enterprise."""

    __tablename__ = "inspection_conflict"
    __table_args__ = (UniqueConstraint("officer_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(TZDateTime)


class Task(Base):
    __tablename__ = "inspection_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_plan.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    #: a key of inspection.schemas.SOURCES
    source: Mapped[str] = mapped_column(String(16), index=True)
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    stratum: Mapped[str] = mapped_column(String(16), default="")
    officer_ids: Mapped[list] = mapped_column(JSON, default=list)
    due_date: Mapped[date] = mapped_column(Date)
    #: open | submitted
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    plan: Mapped[Plan | None] = relationship()


class Record(Base):
    """The on-site record (移动执法); immutable once submitted, amended only by new entries."""

    __tablename__ = "inspection_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), unique=True)
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)      # item code → ok | problem | na
    findings: Mapped[str] = mapped_column(Text, default="")
    violation: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str] = mapped_column(String(100), default="")
    checked_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    #: where the officer's phone was (navigator.geolocation): WGS-84 degrees, accuracy radius in metres
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    gps_accuracy_m: Mapped[float | None] = mapped_column(Float)
    gps_captured_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    #: last time the draft was saved
    saved_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    #: [{role: officer|enterprise, name, at, sha256, bytes}] — sha256 names the drawn signature PNG
    #: in the "signatures" content store (older records carry typed names only)
    signatures: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    submitted_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    record_hash: Mapped[str | None] = mapped_column(String(64))

    task: Mapped[Task] = relationship(lazy="joined")


class Evidence(Base):
    __tablename__ = "inspection_evidence"
    __table_args__ = (UniqueConstraint("task_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    captured_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    location: Mapped[str] = mapped_column(String(100), default="")
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(TZDateTime)


class Upload(Base):
    """A resumable upload in progress: the client sends chunks at offsets until ``size``."""

    __tablename__ = "inspection_upload"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_task.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    captured_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    location: Mapped[str] = mapped_column(String(100), default="")
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Amendment(Base):
    __tablename__ = "inspection_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime)


class CaseReferral(Base):
    """A violation found on site, waiting for the case domain to open a case draft."""

    __tablename__ = "inspection_case_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_record.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending | opened
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class InspectionMonth(Base):
    """The inspection figures of one agency's month (inspection.figures.MONTH): kept by database
    triggers on inspection_record and inspection_task in the same transaction as every write."""

    __tablename__ = "inspection_month"

    ym: Mapped[int] = mapped_column(Integer, primary_key=True)           # yyyymm
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")      # by checked_at (Beijing)
    findings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    uploads_on_time: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # within figures.UPLOAD_HOURS
    routine_planned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # by due_date
    routine_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class InspectionCover(Base):
    """Submitted records of routine tasks per (Beijing day, agency, enterprise)
    (inspection.figures.COVER): the firms a period's routine checks covered are the distinct
    enterprises of its days — any period, no edge days to read from the records."""

    __tablename__ = "inspection_cover_day"

    day: Mapped[int] = mapped_column(Integer, primary_key=True)         # yyyymmdd (Beijing)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    records: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


#: what the triggers append between folds (core.summary: writers never wait for a kept row)
InspectionMonthDelta = delta_table(InspectionMonth.__table__)
InspectionCoverDelta = delta_table(InspectionCover.__table__)
