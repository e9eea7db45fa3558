"""Monitoring through the API: gateway counters, a point's status and completeness, and a
device's protocol settings (the same services as the console)."""

from dataclasses import asdict
from datetime import date

from fastapi import APIRouter

from ..core.auth import require_role
from ..core.errors import NotFound
from ..core.timeutil import now
from ..registry import service as registry
from ..settings import get_settings
from ..webkit.deps import DB, CurrentActor
from . import console
from .models import Device
from .schemas import DeviceIn, DeviceOut, PointStatusOut
from .service import set_device

router = APIRouter(prefix="/hj212", tags=["hj212"])


def _device(d: Device) -> DeviceOut:
    return DeviceOut.model_validate(d).model_copy(update={"has_sm4_key": bool(d.sm4_key)})


@router.get("/gateway")
def gateway(actor: CurrentActor) -> dict | None:
    """The running gateway's counters (null when no gateway has written its status)."""
    return console.gateway_status(get_settings())


@router.get("/points/{point_id}/status")
def point_status(point_id: int, db: DB, actor: CurrentActor) -> PointStatusOut:
    pt = registry.get_point(db, actor, point_id)
    return PointStatusOut(**asdict(console.point_status(get_settings().lake_path, [pt.mn])[pt.mn]))


@router.get("/points/{point_id}/completeness")
def completeness(point_id: int, db: DB, actor: CurrentActor, day: date | None = None) -> dict:
    pt = registry.get_point(db, actor, point_id)
    return console.completeness(get_settings().lake_path, pt.mn, day or now().date())


@router.get("/devices/{mn}")
def get_device(mn: str, db: DB, actor: CurrentActor) -> DeviceOut | None:
    """A device's protocol state (null before the device has ever sent a packet)."""
    pt = registry.point_by_mn(db, mn)
    if pt is None:
        raise NotFound(f"监测点名录中没有设备 MN={mn}", code="hj212.unknown_mn")
    registry.get_point(db, actor, pt.id)          # the caller's jurisdiction
    d = db.get(Device, mn)
    return _device(d) if d else None


@router.put("/devices/{mn}")
def put_device(mn: str, body: DeviceIn, db: DB, actor: CurrentActor) -> DeviceOut:
    require_role(actor, "admin")
    return _device(set_device(mn, tolerant=body.tolerant, sm4_key=body.sm4_key, actor=actor, session=db))
