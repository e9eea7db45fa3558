"""Registry console pages (server-rendered, zh-CN)."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from ..core.errors import ValidationFailed
from ..core.pagination import PageParams
from ..webkit.deps import DB, CurrentActor
from ..webkit.listing import List
from ..webkit.options import options_response
from ..webkit.templating import NavItem, add_nav, render
from . import io as registry_io
from . import service
from .schemas import EnterpriseIn, OfficerIn

router = APIRouter(prefix="/registry", include_in_schema=False)
add_nav(NavItem("名录", "/registry/enterprises", roles=("officer", "reviewer", "leader", "admin", "evaluator"),
                order=10))


def _ctx(**kw):
    return {"classes": service.classes(), **kw}


def _opt_bool(v: str | None) -> bool | None:
    return None if v in (None, "") else v == "1"


def _chosen(db, actor, agency_id: int | None):
    """The unit a list is filtered by (the unit picker shows it chosen even when the search found a
    city on a list of counties); one outside the jurisdiction is a 404, as the filter itself."""
    return service.get_agency(db, actor, agency_id) if agency_id is not None else None


def _levels(levels: str) -> tuple[str, ...] | None:
    wanted = tuple(x for x in levels.split(",") if x)
    if any(x not in service.LIST_UNIT_LEVELS for x in wanted):
        raise ValidationFailed("单位层级应为省级、市级或县级", code="registry.bad_level")
    return wanted or None


@router.get("/unit-options")
def unit_options(db: DB, actor: CurrentActor, unit_q: Annotated[str, Query(max_length=40)] = "",
                 selected: str = "", required: str = "", levels: Annotated[str, Query(max_length=40)] = ""):
    """``<option>``s for a list's unit filter as the user types (the units of their jurisdiction
    matching the text, at most 50), after 全部; the unit already chosen stays chosen. A form's
    required unit (``required=1``) has 请选择 instead of 全部; ``levels`` (``city,county``) narrows
    the units offered to those levels."""
    q = unit_q.strip()
    units = service.find_units(db, actor, q, levels=_levels(levels)) if q else []
    return options_response("请选择单位" if required else "全部", [(a.id, a.name) for a in units], q,
                            none_text="无匹配的单位", selected=selected)


#: How many enterprises / officers a typed search offers at most (type more to narrow).
ENTERPRISE_OPTIONS = 30
OFFICER_OPTIONS = 50


@router.get("/enterprise-options")
def enterprise_options(db: DB, actor: CurrentActor, enterprise_q: Annotated[str, Query(max_length=40)] = ""):
    """``<option>``s for an enterprise picker as the user types: the enterprises of their
    jurisdiction whose name or 统一社会信用代码 contains the text (at most 30), after 请选择企业."""
    q = enterprise_q.strip()
    found = service.find_enterprises(db, actor, q, limit=ENTERPRISE_OPTIONS) if q else []
    return options_response("请选择企业", [(e.id, f"{e.name}（{e.uscc}）") for e in found], q,
                            none_text="本辖区无匹配的企业", cap=ENTERPRISE_OPTIONS, counter="家")


@router.get("/officer-options")
def officer_options(db: DB, actor: CurrentActor, officer_q: Annotated[str, Query(max_length=40)] = ""):
    """``<option>``s for a form's officer drop-down when the jurisdiction has too many officers to
    list: the active officers of the user's jurisdiction whose name or certificate number contains
    the text (at most 50), after 请选择人员, each with their unit."""
    q = officer_q.strip()
    found = service.find_officers(db, actor, q, limit=OFFICER_OPTIONS) if q else []
    return options_response("请选择人员", [(o.id, f"{o.name}（{o.agency.name}）") for o in found], q,
                            none_text="本辖区无匹配的在岗人员", cap=OFFICER_OPTIONS, counter="名")


@router.get("/agencies")
def agencies(request: Request, db: DB, actor: CurrentActor, args: List, level: str = ""):
    p = service.page_agencies(db, actor, level=level or None, q=args.q, sort=args.sort, page=args.params)
    return render(request, "registry/agencies.html", _ctx(p=p, items=p.items, q=args.q, level=level))


@router.get("/officers")
def officers(request: Request, db: DB, actor: CurrentActor, args: List, agency_id: int | None = None,
             active: str = "", certified: str = ""):
    p = service.list_officers(db, actor, q=args.q or None, agency_id=agency_id, active=_opt_bool(active),
                              certified=_opt_bool(certified), page=args.params, sort=args.sort)
    return render(request, "registry/officers.html",
                  _ctx(p=p, q=args.q, agency_id=agency_id, active=active, certified=certified,
                       agencies=service.list_agencies(db, actor), chosen=_chosen(db, actor, agency_id)))


@router.get("/enterprises")
def enterprises(request: Request, db: DB, actor: CurrentActor, args: List, agency_id: int | None = None,
                credit_class: str = "", key_polluter: str | None = None, positive_list: str = ""):
    p = service.list_enterprises(db, actor, q=args.q or None, agency_id=agency_id, credit_class=credit_class or None,
                                 key_polluter=key_polluter if key_polluter not in (None, "*") else None,
                                 positive_list=_opt_bool(positive_list), page=args.params, sort=args.sort)
    return render(request, "registry/enterprises.html",
                  _ctx(p=p, q=args.q, agency_id=agency_id, credit_class=credit_class, key_polluter=key_polluter or "*",
                       positive_list=positive_list, agencies=service.list_agencies(db, actor, level="county"),
                       chosen=_chosen(db, actor, agency_id)))


@router.get("/enterprises/new")
def enterprise_new(request: Request, db: DB, actor: CurrentActor):
    return render(request, "registry/enterprise_form.html",
                  _ctx(e=None, agencies=service.list_agencies(db, actor, level="county")))


@router.get("/enterprises/{enterprise_id}")
def enterprise(request: Request, enterprise_id: int, db: DB, actor: CurrentActor):
    e = service.get_enterprise(db, actor, enterprise_id)
    points = service.list_points(db, actor, enterprise_id=e.id).items
    return render(request, "registry/enterprise.html", _ctx(e=e, points=points))


@router.get("/enterprises/{enterprise_id}/edit")
def enterprise_edit(request: Request, enterprise_id: int, db: DB, actor: CurrentActor):
    e = service.get_enterprise(db, actor, enterprise_id)
    return render(request, "registry/enterprise_form.html",
                  _ctx(e=e, agencies=service.list_agencies(db, actor, level="county")))


@router.post("/enterprises/save")
def enterprise_save(request: Request, db: DB, actor: CurrentActor, uscc: Annotated[str, Form()],
                    name: Annotated[str, Form()], agency_code: Annotated[str, Form()],
                    industry_code: Annotated[str, Form()], address: Annotated[str, Form()] = "",
                    key_polluter: Annotated[str, Form()] = "", permit_no: Annotated[str, Form()] = "",
                    permit_valid_until: Annotated[str, Form()] = "", credit_class: Annotated[str, Form()] = "blue",
                    positive_list: Annotated[str, Form()] = "", enterprise_id: Annotated[str, Form()] = ""):
    form = dict(uscc=uscc, name=name, address=address, agency_code=agency_code, industry_code=industry_code,
                key_polluter=key_polluter, permit_no=permit_no or None,
                permit_valid_until=permit_valid_until or None, credit_class=credit_class,
                positive_list=positive_list == "1")
    try:
        e = service.save_enterprise(db, actor, EnterpriseIn(**form), int(enterprise_id) if enterprise_id else None)
    except ValidationFailed as exc:
        db.rollback()
        return render(request, "registry/enterprise_form.html",
                      _ctx(e=None, form=form, error=exc, enterprise_id=enterprise_id,
                           agencies=service.list_agencies(db, actor, level="county")), status_code=422)
    return RedirectResponse(f"/registry/enterprises/{e.id}", status_code=303)


@router.get("/officers/new")
def officer_new(request: Request, db: DB, actor: CurrentActor):
    return render(request, "registry/officer_form.html", _ctx(o=None, agencies=service.list_agencies(db, actor)))


@router.get("/officers/{officer_id}/edit")
def officer_edit(request: Request, officer_id: int, db: DB, actor: CurrentActor):
    o = service.get_officer(db, actor, officer_id)
    return render(request, "registry/officer_form.html", _ctx(o=o, agencies=service.list_agencies(db, actor)))


@router.post("/officers/save")
def officer_save(request: Request, db: DB, actor: CurrentActor, name: Annotated[str, Form()],
                 agency_code: Annotated[str, Form()], cert_no: Annotated[str, Form()] = "",
                 roles: Annotated[list[str] | None, Form()] = None, department: Annotated[str, Form()] = "生态环境",
                 active: Annotated[str, Form()] = "", officer_id: Annotated[str, Form()] = ""):
    form = dict(name=name, agency_code=agency_code, cert_no=cert_no or None, roles=roles or ["officer"],
                department=department, active=active == "1")
    try:
        service.save_officer(db, actor, OfficerIn(**form), int(officer_id) if officer_id else None)
    except ValidationFailed as exc:
        db.rollback()
        return render(request, "registry/officer_form.html",
                      _ctx(o=None, form=form, error=exc, officer_id=officer_id,
                           agencies=service.list_agencies(db, actor)), status_code=422)
    return RedirectResponse("/registry/officers", status_code=303)


@router.get("/points")
def points(request: Request, db: DB, actor: CurrentActor, args: List, kind: str = ""):
    p = service.list_points(db, actor, q=args.q or None, kind=kind or None, page=args.params)
    return render(request, "registry/points.html", _ctx(p=p, q=args.q, kind=kind))


@router.get("/points/{point_id}")
def point(request: Request, point_id: int, db: DB, actor: CurrentActor):
    return render(request, "registry/point.html", _point_ctx(db, actor, point_id))


def _point_ctx(db, actor, point_id: int, **kw):
    pt = service.get_point(db, actor, point_id)
    meters = [m for m in service.list_points(db, actor, enterprise_id=pt.enterprise_id, kind="power",
                                             page=PageParams(size=100)).items]
    return _ctx(pt=pt, links=service.power_links(db, actor, point_id), meters=meters, roles=service.POWER_ROLES, **kw)


@router.post("/points/{point_id}/power-links")
def power_link_add(request: Request, point_id: int, db: DB, actor: CurrentActor, meter_mn: Annotated[str, Form()],
                   factor_code: Annotated[str, Form()], role: Annotated[str, Form()]):
    try:
        service.link_power_meter(db, actor, point_id, meter_mn, factor_code, role)
    except ValidationFailed as exc:
        db.rollback()
        return render(request, "registry/point.html", _point_ctx(db, actor, point_id, error=exc), status_code=422)
    return RedirectResponse(f"/registry/points/{point_id}", status_code=303)


@router.post("/points/{point_id}/power-links/{link_id}/delete")
def power_link_delete(request: Request, point_id: int, link_id: int, db: DB, actor: CurrentActor):
    service.unlink_power_meter(db, actor, link_id)
    return RedirectResponse(f"/registry/points/{point_id}", status_code=303)


@router.get("/import")
def import_page(request: Request, actor: CurrentActor, entity: str = "enterprises"):
    return render(request, "registry/import.html", _ctx(entity=entity, entities=registry_io.ENTITIES,
                                                         specs=registry_io.SPECS))


@router.post("/import")
def import_submit(request: Request, db: DB, actor: CurrentActor, entity: Annotated[str, Form()],
                  file: Annotated[UploadFile, File()]):
    try:
        result = registry_io.import_file(db, actor, entity, file.file.read(), file.filename or "")
    except ValidationFailed as exc:
        db.rollback()
        return render(request, "registry/import.html",
                      _ctx(entity=entity, entities=registry_io.ENTITIES, specs=registry_io.SPECS, error=exc,
                           filename=file.filename), status_code=422)
    return render(request, "registry/import.html",
                  _ctx(entity=entity, entities=registry_io.ENTITIES, specs=registry_io.SPECS, result=result))
