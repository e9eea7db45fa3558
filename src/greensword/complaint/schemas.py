"""Complaint API shapes. The complainant's identity is never part of ComplaintOut."""

from datetime import date

from pydantic import BaseModel, Field


class PublicIn(BaseModel):
    agency_id: int
    enterprise_name: str = Field("", max_length=200)
    address: str = Field("", max_length=300)
    matter: str
    content: str = Field(..., max_length=2000)
    anonymous: bool = False
    name: str = Field("", max_length=60)
    phone: str = Field("", max_length=30)


class ComplaintOut(BaseModel):
    id: int
    code: str
    channel: str
    received_on: date
    agency_id: int | None
    enterprise_id: int | None
    enterprise_name: str
    matter: str
    status: str
    anonymous: bool
    duplicate_of: int | None
    accept_due: date
    reply_due: date | None
    replied_on: date | None
    substantiated: bool | None
    task_id: int | None
    identity_visible: bool

    @classmethod
    def of(cls, c, visible: bool) -> "ComplaintOut":
        return cls(id=c.id, code=c.code, channel=c.channel, received_on=c.received_on, agency_id=c.agency_id,
                   enterprise_id=c.enterprise_id, enterprise_name=c.enterprise_name, matter=c.matter,
                   status=c.status, anonymous=c.anonymous, duplicate_of=c.duplicate_of, accept_due=c.accept_due,
                   reply_due=c.reply_due, replied_on=c.replied_on, substantiated=c.substantiated,
                   task_id=c.task_id, identity_visible=visible)
