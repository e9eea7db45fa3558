"""Monitoring console pages: gateway counters, point status, a point's latest values against
its limits, completeness per hour/day, and the device's protocol state (edition, quirks)."""

from datetime import date

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ..core.auth import require_role
from ..core.pagination import PageParams
from ..core.timeutil import now
from ..registry import service as registry
from ..settings import get_settings
from ..webkit.deps import DB, CurrentActor
from ..webkit.templating import NavItem, add_nav, render
from . import console, protocol, queries
from .codec import QUIRKS
from .models import Device
from .service import set_device

router = APIRouter(prefix="/monitoring", include_in_schema=False)
add_nav(NavItem("在线监控", "/monitoring", roles=("officer", "reviewer", "leader", "admin", "evaluator"), order=20))


@router.get("")
def monitoring(request: Request, db: DB, actor: CurrentActor, q: str = "", kind: str = "", page: int = 1):
    s = get_settings()
    p = registry.list_points(db, actor, q=q or None, kind=kind or None, page=PageParams(page=page))
    devices = {d.mn: d for d in db.query(Device).filter(Device.mn.in_([pt.mn for pt in p.items]))}
    status = console.point_status(s.lake_path, [pt.mn for pt in p.items],
                                  seen={mn: d.last_seen_at for mn, d in devices.items()})
    return render(request, "hj212/monitoring.html", {
        "p": p, "q": q, "kind": kind, "status": status, "devices": devices,
        "gateway": console.gateway_status(s), "classes": registry.classes(), "quirk_names": QUIRKS})


def _exceeds(f, latest: dict | None) -> bool | None:
    if not latest or f.limit_value is None:
        return None
    v = latest["zs_value"] if f.corrected and latest.get("zs_value") is not None else latest["value"]
    if v is None:
        return None
    return v > f.limit_value or (f.limit_min is not None and v < f.limit_min)


#: chart windows offered on the point page (hours)
WINDOWS = {6: "6 小时", 24: "24 小时", 72: "3 天"}


def charts(pt, data: dict) -> list[dict]:
    """One chart per factor of the point that has data in the window: the value the limit
    applies to (the corrected value where the limit is on it) and the limit lines."""
    out = []
    for f in pt.factors:
        d = data["factors"].get(f.factor_code)
        if d is None:
            continue
        corrected = bool(f.corrected and any(v is not None for v in d["zs"]))
        values = d["zs"] if corrected else d["v"]
        over = sum(1 for v in values if v is not None and (
            (f.limit_value is not None and v > f.limit_value) or (f.limit_min is not None and v < f.limit_min)))
        out.append({"code": f.factor_code, "name": queries.factor_name(f.factor_code),
                    "unit": f.unit or queries.factor_unit(f.factor_code), "t": d["t"], "v": values,
                    "corrected": corrected, "limit": f.limit_value, "limit_min": f.limit_min, "over": over})
    return out


@router.get("/points/{point_id}")
def point(request: Request, point_id: int, db: DB, actor: CurrentActor, day: date | None = None, hours: int = 24):
    s = get_settings()
    pt = registry.get_point(db, actor, point_id)
    day = day or now().date()
    hours = hours if hours in WINDOWS else 24
    device = db.get(Device, pt.mn)
    st = console.point_status(s.lake_path, [pt.mn], seen={pt.mn: device.last_seen_at if device else None})[pt.mn]
    factors = [{"f": f, "latest": st.latest.get(f.factor_code), "exceeds": _exceeds(f, st.latest.get(f.factor_code))}
               for f in pt.factors]
    data = queries.series(s.lake_path, pt.mn, end=now(), hours=hours)
    return render(request, "hj212/point.html", {
        "pt": pt, "st": st, "factors": factors, "device": device, "day": day,
        "series": data, "charts": charts(pt, data), "hours": hours, "windows": WINDOWS,
        "comp": console.completeness(s.lake_path, pt.mn, day), "quirk_names": QUIRKS,
        "flags": protocol.rules().data_flags, "classes": registry.classes()})


@router.post("/points/{point_id}/tolerant")
def toggle_tolerant(point_id: int, db: DB, actor: CurrentActor, on: str = Form("0")):
    require_role(actor, "admin")
    pt = registry.get_point(db, actor, point_id)
    set_device(pt.mn, tolerant=on == "1", actor=actor, session=db)
    return RedirectResponse(f"/monitoring/points/{point_id}", status_code=303)
