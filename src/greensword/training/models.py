"""Training tables: officers' qualifications, courses and attendance, trainer/talent pools, exams
and attempts, competitions (rounds, contestants, judges, scores) and equipment with use logs.

Officers and agencies are the registry's shared directory; inspection tasks are referred to by id
only (the training layer reads them through ``inspection.service``)."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..registry.models import Agency, Officer


class Qualification(Base):
    """执法证 / 无人机驾驶证 / 法制审核资格: one certificate of one officer."""

    __tablename__ = "training_qualification"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    #: enforcement | drone | legal_review
    kind: Mapped[str] = mapped_column(String(16), index=True)
    number: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(100), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    officer: Mapped[Officer] = relationship(lazy="joined")


class Course(Base):
    __tablename__ = "training_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: county | city | province | national
    level: Mapped[str] = mapped_column(String(16), index=True)
    topic: Mapped[str] = mapped_column(String(40), default="")
    start_on: Mapped[date] = mapped_column(Date, index=True)
    end_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    trainer_ids: Mapped[list] = mapped_column(JSON, default=list)     # officer ids from the trainer pool
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class Attendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("course_id", "officer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    hours: Mapped[float] = mapped_column(Float, default=0)
    passed: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)


class PoolMember(Base):
    """师资库 (trainer) / 人才库 (talent) membership at a level, with the entry checks it passed."""

    __tablename__ = "training_pool_member"
    __table_args__ = (UniqueConstraint("pool", "officer_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str] = mapped_column(String(16), index=True)         # trainer | talent
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    specialty: Mapped[str] = mapped_column(String(60), default="")
    admitted_on: Mapped[date] = mapped_column(Date)
    checks: Mapped[dict] = mapped_column(JSON, default=dict)          # criterion → {value, required, ok}
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_on: Mapped[date | None] = mapped_column(Date)

    officer: Mapped[Officer] = relationship(lazy="joined")


class Exam(Base):
    __tablename__ = "training_exam"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    n_questions: Mapped[int] = mapped_column(Integer)
    time_limit_min: Mapped[int] = mapped_column(Integer)
    pass_score: Mapped[float] = mapped_column(Float, default=60)
    laws: Mapped[list] = mapped_column(JSON, default=list)            # bank law codes drawn from ([] = all)
    seed: Mapped[str] = mapped_column(String(64))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Attempt(Base):
    __tablename__ = "training_attempt"
    __table_args__ = (UniqueConstraint("exam_id", "officer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("training_exam.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    question_ids: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(TZDateTime)
    deadline_at: Mapped[datetime] = mapped_column(TZDateTime)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)         # question id → option letter(s)
    late: Mapped[dict] = mapped_column(JSON, default=dict)            # answers received after the deadline
    submitted_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[int | None] = mapped_column(Integer)

    exam: Mapped[Exam] = relationship(lazy="joined")


class Competition(Base):
    __tablename__ = "training_competition"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")   # open | published
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Round(Base):
    __tablename__ = "training_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("training_competition.id", ondelete="CASCADE"),
                                                index=True)
    #: theory | onsite | record | sampling | drone | offsite
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer, default=0)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("training_exam.id"))
    sheet: Mapped[list] = mapped_column(JSON, default=list)           # [{code, item, max}] for judged rounds
    dataset: Mapped[dict] = mapped_column(JSON, default=dict)         # off-site: generator inputs + labels


class Contestant(Base):
    __tablename__ = "training_contestant"
    __table_args__ = (UniqueConstraint("competition_id", "officer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("training_competition.id", ondelete="CASCADE"),
                                                index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    #: the unit (team) the contestant represents: his agency at entry
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)

    officer: Mapped[Officer] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class Judge(Base):
    __tablename__ = "training_judge"
    __table_args__ = (UniqueConstraint("competition_id", "officer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(ForeignKey("training_competition.id", ondelete="CASCADE"),
                                                index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)

    officer: Mapped[Officer] = relationship(lazy="joined")


class Score(Base):
    """One judge's sheet for one contestant in one round (judge_id null for automatic scores)."""

    __tablename__ = "training_score"
    __table_args__ = (UniqueConstraint("round_id", "contestant_id", "judge_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("training_round.id", ondelete="CASCADE"), index=True)
    contestant_id: Mapped[int] = mapped_column(ForeignKey("training_contestant.id", ondelete="CASCADE"),
                                               index=True)
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("training_judge.id"))
    #: "j<judge id>" or "auto": unique per round and contestant (NULLs would not be unique)
    judge_key: Mapped[str] = mapped_column(String(16))
    points: Mapped[float] = mapped_column(Float)                      # 0–100
    items: Mapped[dict] = mapped_column(JSON, default=dict)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(TZDateTime)


class Equipment(Base):
    __tablename__ = "training_equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: drone | recorder | detector | vehicle
    kind: Mapped[str] = mapped_column(String(16), index=True)
    model: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    acquired_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="in_service")   # in_service | repair | retired
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class EquipmentUse(Base):
    __tablename__ = "training_equipment_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("training_equipment.id", ondelete="CASCADE"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    ended_at: Mapped[datetime] = mapped_column(TZDateTime)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    #: the inspection task the use served (drone flights over an inspected site), by id
    inspection_task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    evidence_sha256: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
