"""Shapes other domains read through cases.service (transfers, publishable decisions)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


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
