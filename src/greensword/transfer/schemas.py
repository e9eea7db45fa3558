"""Transfer API shapes (persons are served separately, masked by role)."""

from datetime import date

from pydantic import BaseModel


class TransferOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    measure_id: int | None
    kind: str
    receiver: str
    status: str
    approved_on: date
    sent_on: date
    received_on: date | None
    accepted_on: date | None
    refused_on: date | None
    reconsideration_on: date | None
    supervision_on: date | None
    joint_supervision: str
    outcome: str | None

    @classmethod
    def of(cls, t) -> "TransferOut":
        return cls.model_validate(t, from_attributes=True)


class StepIn(BaseModel):
    on: date
    accepted: bool | None = None
    reason: str = ""
