"""Penalty cases: the case with its stage, its events (the timeline every deadline is computed
from), generated documents (content-hashed; signed ones never overwritten), coercive measures
and transfers, and the enterprise's study-points ledger."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..core.summary import delta_table
from ..registry.models import Agency, Enterprise


class Case(Base):
    __tablename__ = "penalty_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)          # 案件编号
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: inspection | lead | complaint | transfer | manual
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    #: inspection record the case came from (its evidence is the case's evidence)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_record.id"))
    #: off-site lead the case came from (lead → task → record → referral → case, or opened from the
    #: lead directly); a plain reference, the offsite domain owns the lead
    lead_id: Mapped[int | None] = mapped_column(Integer, index=True)
    violation_code: Mapped[str | None] = mapped_column(String(20), index=True)
    facts: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(20), index=True)
    #: stage to return to after a suspension
    resume_stage: Mapped[str | None] = mapped_column(String(20))
    #: closed cases: penalty | non_penalty | withdrawn | transferred
    outcome: Mapped[str | None] = mapped_column(String(16), index=True)
    officer_ids: Mapped[list] = mapped_column(JSON, default=list)
    tags: Mapped[list] = mapped_column(JSON, default=list)                # special actions (专项行动)
    major: Mapped[bool] = mapped_column(Boolean, default=False)          # 重大案件：集体讨论
    discretion: Mapped[dict] = mapped_column(JSON, default=dict)          # answers, modifiers, proposal
    fine_proposed: Mapped[int | None] = mapped_column(Integer)
    fine: Mapped[int | None] = mapped_column(Integer)                     # decided fine (yuan)
    departure_reason: Mapped[str] = mapped_column(Text, default="")
    offset_points: Mapped[int] = mapped_column(Integer, default=0)
    offset_yuan: Mapped[int] = mapped_column(Integer, default=0)
    paid_yuan: Mapped[int] = mapped_column(Integer, default=0)
    discovered_on: Mapped[date] = mapped_column(Date)
    filed_on: Mapped[date | None] = mapped_column(Date)
    notified_on: Mapped[date | None] = mapped_column(Date)
    hearing_requested_on: Mapped[date | None] = mapped_column(Date)
    hearing_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    served_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    archived_on: Mapped[date | None] = mapped_column(Date)
    #: days not counted in the 90-day limit (suspension, hearing, monitoring, appraisal …)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    appeal: Mapped[dict] = mapped_column(JSON, default=dict)              # kind, outcome, on
    #: 简易程序 (on-the-spot decision with its short record)
    summary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: organisation | citizen (hearing threshold, summary amounts, natural-person grounds)
    party_kind: Mapped[str] = mapped_column(String(12), default="organisation", server_default="organisation")
    #: when the act ended (时效 runs from it); 5-year limitation ground recorded
    offence_ended_on: Mapped[date | None] = mapped_column(Date)
    limitation_extended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hearing_noticed_on: Mapped[date | None] = mapped_column(Date)
    hearing_chair: Mapped[str | None] = mapped_column(String(64))
    legal_reviewed_on: Mapped[date | None] = mapped_column(Date)
    discussed_on: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)                   # fine and surcharge settled
    published_on: Mapped[date | None] = mapped_column(Date)              # 行政处罚决定公开
    #: [{kind: approved|collective, days, on, reason, record}]
    extensions: Mapped[list] = mapped_column(JSON, default=list)
    #: {kind: deferral|instalments, approved_on, until | instalments: [{due, amount}], reason}
    payment_plan: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [{kind: reconsideration|lawsuit, applied_on, decided_on, outcome}]
    appeals: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")

    # The case's history as a step's checks read it (cases.service._StepCtx): loaded once per
    # transaction (locking the case reloads them, core.locks), then kept whole by the services,
    # which add every row through cases.service._add_row — so the next step of the same
    # transaction sees the rows the previous one added without a query (and its flush).
    events: Mapped[list["CaseEvent"]] = relationship(order_by="CaseEvent.id", viewonly=True)
    documents: Mapped[list["CaseDocument"]] = relationship(order_by="CaseDocument.id", viewonly=True)
    pauses: Mapped[list["Pause"]] = relationship(order_by="Pause.id", viewonly=True)
    payments: Mapped[list["Payment"]] = relationship(order_by="(Payment.paid_on, Payment.id)", viewonly=True)
    recusals: Mapped[list["Recusal"]] = relationship(order_by="Recusal.id", viewonly=True)


class CaseEvent(Base):
    __tablename__ = "penalty_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(48))
    on: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(64))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(TZDateTime)


class CaseDocument(Base):
    __tablename__ = "penalty_case_document"
    __table_args__ = (UniqueConstraint("case_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Measure(Base):
    """Coercive measures and linked actions: seizure, restriction, suspension, daily penalty,
    detention transfer, criminal transfer."""

    __tablename__ = "penalty_case_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Pause(Base):
    """A period not counted in the decision limit (中止、听证、公告、监测/检测、评估、鉴定、认定、送达),
    with the document that shows it."""

    __tablename__ = "penalty_case_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Payment(Base):
    """One payment received (bank receipt): fine first, then surcharge."""

    __tablename__ = "penalty_case_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(Integer)
    receipt: Mapped[str] = mapped_column(String(64), default="")
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class Recusal(Base):
    """回避: an application (by the party or the officer himself) and its decision."""

    __tablename__ = "penalty_case_recusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("penalty_case.id"), index=True)
    #: the person whose recusal is sought (username or officer id as text)
    person: Mapped[str] = mapped_column(String(64))
    applicant: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    applied_on: Mapped[date] = mapped_column(Date)
    #: pending | granted | rejected
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class StudyAnswer(Base):
    """A quiz question an enterprise answered correctly: earns once per enterprise, ever."""

    __tablename__ = "study_answer"
    __table_args__ = (UniqueConstraint("enterprise_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    question: Mapped[str] = mapped_column(String(40))
    points: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(TZDateTime)


class StudyPoints(Base):
    """学法积分 ledger: positive entries earned (courses, quizzes), negative when offset."""

    __tablename__ = "study_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("penalty_case.id"))
    at: Mapped[datetime] = mapped_column(TZDateTime)


class CaseMonth(Base):
    """The case figures of one agency's month (cases.figures.SUMMARY): kept by database triggers
    on penalty_case in the same transaction as every write, summed by the statistics."""

    __tablename__ = "penalty_case_month"

    ym: Mapped[int] = mapped_column(Integer, primary_key=True)           # yyyymm
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cases_filed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")          # by filed_on
    lead_cases: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    decisions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")            # by decided_on
    fines_yuan: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    non_penalty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offset_cases: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offset_yuan: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    withdrawn: Mapped[int] = mapped_column(Integer, default=0, server_default="0")            # by closed_on


#: what the triggers append between folds (core.summary: writers never wait for a kept row)
CaseMonthDelta = delta_table(CaseMonth.__table__)


class CaseMeasureDay(Base):
    """Supporting measures per (start day, kind, agency, case) (cases.figures.MEASURES): a narrow
    copy of the measures with their case's agency, kept by database triggers on
    penalty_case_measure and penalty_case, so the cases with each measure in a period are counted
    without reading the wide case rows."""

    __tablename__ = "penalty_case_measure_day"

    started_on: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


CaseMeasureDayDelta = delta_table(CaseMeasureDay.__table__)
