"""JSON shapes of the monitoring (HJ 212) API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DeviceOut(BaseModel):
    """A device's protocol state; the SM4 key itself is never returned."""

    model_config = ConfigDict(from_attributes=True)

    mn: str
    tolerant: bool
    edition: str | None
    quirks: dict
    accepted: int
    rejected: int
    last_error: str | None
    last_seen_at: datetime | None
    has_sm4_key: bool = False


class DeviceIn(BaseModel):
    tolerant: bool | None = None
    #: 32 hex digits; "" clears the key; absent leaves it unchanged
    sm4_key: str | None = Field(default=None, repr=False)


class PointStatusOut(BaseModel):
    mn: str
    online: bool
    last_received: datetime | None
    last_data_time: datetime | None
    latest: dict[str, dict]
    interval_s: int | None = None          # the point's data interval, told from its recent data
    offline_after_s: int | None = None     # no data for this long → offline
