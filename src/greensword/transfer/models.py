"""Transfer follow-up (行刑衔接): each transfer a case records, followed to the receiving
authority's acceptance or refusal, reconsideration, procuratorate supervision, persons under
measures (personal data in a table of its own), joint supervision and the final outcome."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import Base, TZDateTime
from ..registry.models import Agency, Enterprise


class Transfer(Base):
    __tablename__ = "transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the case and its transfer measure (cases domain), by id: read through cases.service
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    case_number: Mapped[str] = mapped_column(String(40), default="")
    measure_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    #: criminal (涉嫌犯罪) | detention (行政拘留) | department (其他部门)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    receiver: Mapped[str] = mapped_column(String(200))
    #: sent | received | accepted | refused | reconsidering | refused_final | supervising | closed
    status: Mapped[str] = mapped_column(String(16), index=True)
    approved_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    refused_on: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    reconsideration_on: Mapped[date | None] = mapped_column(Date)
    reconsideration_decided_on: Mapped[date | None] = mapped_column(Date)
    supervision_on: Mapped[date | None] = mapped_column(Date)
    #: exhibits and files handed over to the police after the filing notice (310号令第十二条)
    handover_on: Mapped[date | None] = mapped_column(Date)
    joint_supervision: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")
    enterprise: Mapped[Enterprise] = relationship(lazy="joined")


class TransferPerson(Base):
    """A person the receiving authority took measures against (named; ID number kept apart)."""

    __tablename__ = "transfer_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(String(18), default="")
    #: 直接负责的主管人员 | 其他直接责任人员
    role: Mapped[str] = mapped_column(String(40))
    measure: Mapped[str] = mapped_column(String(24))
    measure_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TransferEvent(Base):
    __tablename__ = "transfer_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfer.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    on: Mapped[date] = mapped_column(Date)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(TZDateTime)
