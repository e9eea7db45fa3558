"""JSON shapes of the penalty-case API, and the shapes other domains read through cases.service
(transfers with their clocks, publishable decisions)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    agency_id: int
    enterprise_id: int
    title: str
    source: str
    source_ref: str
    violation_code: str | None
    stage: str
    outcome: str | None
    major: bool
    tags: list[str]
    fine_proposed: int | None
    fine: int | None
    discovered_on: date
    filed_on: date | None
    decided_on: date | None
    closed_on: date | None


class DueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    label: str
    due: date
    article: str
    done_on: date | None = None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    on: date
    by: str
    from_stage: str | None
    to_stage: str | None
    at: datetime


class CaseDetail(CaseOut):
    facts: str
    events: list[EventOut]
    next_dues: list[DueOut]


class OverdueOut(BaseModel):
    case: CaseOut
    due: DueOut


class ActIn(BaseModel):
    """One workflow step: the date it happened (default today) and the step's fields (e.g.
    ``fine``, ``reason``), as the console form sends them."""

    on: date | None = None
    data: dict = {}




class TransferOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    agency_id: int
    enterprise_id: int
    enterprise_name: str
    kind: str                       # detention_transfer | criminal_transfer
    label: str
    receiver: str
    reason: str
    status: str                     # reported | approved | not_approved | sent | received | decided
    started_on: date                # report (criminal) or decision to transfer (detention)
    #: the clocks: head's decision (310号第五条: 3 days), sending (24 hours after approval /
    #: 853号: 3 days), police decision (310号第八条: 3 days after receipt)
    decide_by: date | None = None
    approved_at: datetime | None = None
    send_by: datetime | date | None = None
    sent_at: datetime | None = None
    received_on: date | None = None
    receipt_no: str = ""
    police_decide_by: date | None = None
    police_decision: str = ""
    police_decided_on: date | None = None
    overdue: list[str] = []


class PublishableDecision(BaseModel):
    case_id: int
    case_number: str
    agency_id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str
    violation: str
    breach: str
    penalty_basis: str
    fine: int
    decided_on: date
    publish_by: date
    published_on: date | None = None
    article: str


class ServiceConsent(BaseModel):
    """The party's consent to electronic service (送达地址确认书), as the portal recorded it: who
    signed, when, which documents; withdrawn from ``withdrawn_on`` (行政处罚法第六十一条第二款)."""

    id: int
    enterprise_id: int
    given_on: date
    withdrawn_on: date | None = None
    documents: list[str]
    signer: str = ""
