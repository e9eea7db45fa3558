"""Equipment per unit (drones, recorders, detectors, vehicles) with use logs; a drone flight can
be linked to the inspection task it served (read through inspection.service) and its evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core import audit
from ..core.auth import Actor, check_agency, require_role, scope
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.pagination import Page, PageParams, Sort, iter_all, page_of, where_choice, where_search
from ..core.timeutil import aware, now
from ..registry.models import Agency, Officer
from .models import Equipment, EquipmentUse

KINDS = {"drone": "无人机", "recorder": "执法记录仪", "detector": "快速检测设备", "vehicle": "执法车辆"}
STATUSES = {"in_service": "在用", "repair": "维修", "retired": "报废"}


def add(session: Session, actor: Actor, *, agency_id: int, kind: str, model: str, serial: str,
        acquired_on: date) -> Equipment:
    return add_many(session, actor, [dict(agency_id=agency_id, kind=kind, model=model, serial=serial,
                                          acquired_on=acquired_on)])[0]


def add_many(session: Session, actor: Actor, items: list[dict]) -> list[Equipment]:
    """Register equipment (each item ``add``'s arguments), each checked as ``add`` checks one (a
    taken serial refuses the whole batch), written with one flush and audited one by one."""
    require_role(actor, "admin", "leader")
    serials = {(x.get("serial") or "").strip() for x in items}
    taken = set(session.execute(select(Equipment.serial).where(Equipment.serial.in_(serials))).scalars()) \
        if items else set()
    out = []
    for x in items:
        agency = session.get(Agency, x["agency_id"])
        if agency is None:
            raise NotFound("机构不存在", code="training.agency_not_found")
        check_agency(actor, agency.path, "该机构")
        if x["kind"] not in KINDS:
            raise ValidationFailed(f"装备类别应为 {'、'.join(KINDS.values())}", code="training.bad_equipment_kind")
        serial = (x["serial"] or "").strip()
        if not serial or len(serial) > 60:
            raise ValidationFailed("装备编号不能为空且不超过60个字符", code="training.bad_serial")
        if serial in taken:
            raise Conflict(f"装备编号 {serial} 已登记", code="training.serial_taken")
        taken.add(serial)
        out.append(Equipment(agency_id=agency.id, kind=x["kind"], model=(x["model"] or "").strip()[:100],
                             serial=serial, acquired_on=x["acquired_on"], status="in_service", created_at=now()))
    if not out:
        return out
    session.add_all(out)
    session.flush()
    audit.record_many(session, actor, "training.equipment.add", [
        ("training_equipment", e.id, {"agency_id": e.agency_id, "kind": e.kind, "model": e.model, "serial": e.serial,
                                      "acquired_on": e.acquired_on}) for e in out])
    return out


def get(session: Session, actor: Actor, equipment_id: int) -> Equipment:
    e = session.get(Equipment, equipment_id)
    if e is None:
        raise NotFound("装备不存在", code="training.equipment_not_found")
    check_agency(actor, e.agency.path, "该装备")
    return e


def set_status(session: Session, actor: Actor, equipment_id: int, status: str) -> Equipment:
    require_role(actor, "admin", "leader")
    e = get(session, actor, equipment_id)
    if status not in STATUSES:
        raise ValidationFailed("状态应为在用、维修或报废", code="training.bad_status")
    e.status = status
    audit.record(session, actor, "training.equipment.status", "training_equipment", e.id, {"status": status})
    return e


def log_use(session: Session, actor: Actor, equipment_id: int, *, officer_id: int, started_at: datetime,
            ended_at: datetime, purpose: str, inspection_task_id: int | None = None,
            evidence_sha256: str = "") -> EquipmentUse:
    require_role(actor, "admin", "leader", "officer")
    e = get(session, actor, equipment_id)
    if e.status != "in_service":
        raise ValidationFailed(f"装备处于“{STATUSES[e.status]}”状态，不能登记使用", code="training.equipment_unavailable")
    o = session.get(Officer, officer_id)
    if o is None:
        raise NotFound(f"执法人员 {officer_id} 不存在", code="training.officer_not_found")
    started_at, ended_at = aware(started_at), aware(ended_at)
    if ended_at <= started_at:
        raise ValidationFailed("结束时间应晚于开始时间", code="training.bad_times")
    if e.kind == "drone":
        from .quals import holds

        if not holds(session, officer_id, "drone", started_at.date()):
            raise ValidationFailed(f"{o.name} 在飞行当日无有效的无人机操控员执照", code="training.no_drone_licence")
    if inspection_task_id is not None:
        from ..inspection import service as inspection

        task = inspection.get_task(session, actor, inspection_task_id)
        if evidence_sha256 and evidence_sha256 not in {ev.sha256 for ev in inspection.evidence_of(session, task)}:
            raise ValidationFailed("该证据不属于所关联的检查任务", code="training.evidence_not_in_task")
    overlap = session.execute(select(EquipmentUse.id).where(
        EquipmentUse.equipment_id == e.id, EquipmentUse.started_at < ended_at, EquipmentUse.ended_at > started_at)).first()
    if overlap:
        raise Conflict("该装备在这段时间已有使用记录", code="training.use_overlap")
    u = EquipmentUse(equipment_id=e.id, officer_id=officer_id, started_at=started_at, ended_at=ended_at,
                     purpose=(purpose or "")[:200], inspection_task_id=inspection_task_id,
                     evidence_sha256=evidence_sha256 or "")
    session.add(u)
    session.flush()
    audit.record(session, actor, "training.equipment.use", "training_equipment_use", u.id,
                 {"equipment_id": e.id, "officer_id": officer_id, "started_at": started_at, "ended_at": ended_at,
                  "inspection_task_id": inspection_task_id, "evidence_sha256": evidence_sha256 or None})
    return u


def uses(session: Session, equipment_id: int, limit: int = 200) -> list[EquipmentUse]:
    return list(session.execute(select(EquipmentUse).where(EquipmentUse.equipment_id == equipment_id)
                                .order_by(EquipmentUse.started_at.desc()).limit(limit)).scalars())


#: Sort keys of the equipment list (by unit, kind and serial by default).
EQUIPMENT_SORT = Sort(
    keys={"agency": [Agency.division_code, Equipment.kind, Equipment.serial], "kind": [Equipment.kind],
          "model": [Equipment.model], "serial": [Equipment.serial], "acquired": [Equipment.acquired_on],
          "status": [Equipment.status]},
    default="agency", tiebreak=[Equipment.id],
    labels={"agency": "单位", "kind": "类别", "model": "型号", "serial": "编号", "acquired": "购置日期",
            "status": "状态"})


def _equipment_query(session: Session, actor: Actor, *, kind: str = "", status: str = "", q: str = "",
                     agency_id: int | None = None):
    from ..registry import service as registry

    stmt = scope(select(Equipment).join(Agency, Equipment.agency_id == Agency.id), actor, Agency.path)
    if agency_id:
        stmt = registry.within_agency(session, stmt, agency_id)
    stmt = where_choice(stmt, Equipment.kind, kind, KINDS, "装备类别", "training.bad_equipment_kind")
    stmt = where_choice(stmt, Equipment.status, status, STATUSES, "装备状态", "training.bad_equipment_status")
    stmt = where_search(stmt, q, Equipment.serial, Equipment.model, Agency.name)
    return stmt


def page_equipment(session: Session, actor: Actor, *, sort: str = "", page: PageParams | None = None,
                   **filters) -> Page[Equipment]:
    return page_of(session, _equipment_query(session, actor, **filters), page, sort=EQUIPMENT_SORT, sort_value=sort)


def iter_equipment(session: Session, actor: Actor, *, sort: str = "", **filters) -> Iterator[Equipment]:
    return iter_all(session, _equipment_query(session, actor, **filters), sort=EQUIPMENT_SORT, sort_value=sort)


def list_equipment(session: Session, actor: Actor, *, kind: str = "") -> list[Equipment]:
    """Every piece of equipment the actor may see (of ``kind``), by unit, kind and serial."""
    return list(iter_equipment(session, actor, kind=kind))


def counts(session: Session, agency_path: str = "/", *, year: int | None = None) -> dict[str, dict[str, int]]:
    """Per kind: equipment in service, and uses (flights for drones) in the year. For statistics
    and evaluation."""
    stmt = (select(Equipment.kind, func.count()).join(Agency, Equipment.agency_id == Agency.id)
            .where(Equipment.status == "in_service", Agency.path.startswith(agency_path, autoescape=True))
            .group_by(Equipment.kind))
    out = {k: {"in_service": 0, "uses": 0} for k in KINDS}
    for kind, n in session.execute(stmt):
        out[kind]["in_service"] = n
    ustmt = (select(Equipment.kind, func.count()).join(EquipmentUse, EquipmentUse.equipment_id == Equipment.id)
             .join(Agency, Equipment.agency_id == Agency.id)
             .where(Agency.path.startswith(agency_path, autoescape=True)).group_by(Equipment.kind))
    if year:
        from ..core.timeutil import TZ

        ustmt = ustmt.where(EquipmentUse.started_at >= datetime(year, 1, 1, tzinfo=TZ),
                            EquipmentUse.started_at < datetime(year + 1, 1, 1, tzinfo=TZ))
    for kind, n in session.execute(ustmt):
        out[kind]["uses"] = n
    return out
