"""CSV and Excel (.xlsx) import/export of the registry directories.

An import is all-or-nothing: every row is validated (with the same checks as the service's
single-record writes, plus duplicates inside the file) before anything is written; if any row is
bad nothing is written and the error lists every bad row with its line number, column and a
zh-CN reason. Headers may be the Chinese titles (as exported) or the field names.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.audit import record_many
from ..core.auth import Actor, require_role
from ..core.errors import ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import now
from . import service
from .models import Agency, Enterprise, MonitoringPoint, Officer, PointFactor, new_device_password
from .schemas import AgencyIn, EnterpriseIn, FactorIn, OfficerIn, PointIn


def _bool(v: Any) -> bool:
    s = str(v).strip().lower()
    if s in {"1", "true", "yes", "y", "是", "√", "有"}:
        return True
    if s in {"0", "false", "no", "n", "否", "", "无", "none"}:
        return False
    raise ValueError(f"“{v}”不是有效的是/否值")


def _date(v: Any) -> date | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return date.fromisoformat(str(v).strip().replace("/", "-"))
    except ValueError:
        raise ValueError(f"“{v}”不是有效日期（应为YYYY-MM-DD）") from None


def _float(v: Any) -> float | None:
    if v in (None, ""):
        return None
    try:
        return float(v)
    except ValueError:
        raise ValueError(f"“{v}”不是数字") from None


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # Excel turns codes like 330102 into floats
    return str(v).strip()


def _opt_text(v: Any) -> str | None:
    return _text(v) or None


def _roles(v: Any) -> list[str]:
    return [r.strip() for r in _text(v).replace("、", ",").replace("，", ",").split(",") if r.strip()]


def _coded(kind: str) -> Callable[[Any], str]:
    """Accept a code or its Chinese name (as exported)."""
    def parse(v: Any) -> str:
        text = _text(v)
        values = service.classes()[kind]
        if text in values:
            return text
        for code, item in values.items():
            if text in (item.get("name"), item.get("card")):
                return code
        return text  # left for the service check to reject with its own message
    return parse


@dataclass(frozen=True)
class Col:
    field: str
    title: str
    parse: Callable[[Any], Any] = _text
    export: Callable[[Any], Any] | None = None


SPECS: dict[str, list[Col]] = {
    "agencies": [
        Col("division_code", "行政区划代码"), Col("name", "机构名称"),
        Col("level", "层级", _coded("agency_levels")), Col("parent_code", "上级区划代码", _opt_text),
    ],
    "officers": [
        Col("name", "姓名"), Col("agency_code", "所属机构代码"), Col("cert_no", "执法证号", _opt_text),
        Col("roles", "角色", _roles), Col("department", "所属部门"), Col("active", "在岗", _bool),
    ],
    "enterprises": [
        Col("uscc", "统一社会信用代码"), Col("name", "企业名称"), Col("address", "地址"),
        Col("agency_code", "所属区县代码"), Col("industry_code", "行业代码"),
        Col("key_polluter", "重点排污单位类别", _coded("key_polluter_categories")),
        Col("permit_no", "排污许可证编号", _opt_text), Col("permit_valid_until", "许可证有效期至", _date),
        Col("credit_class", "环境信用等级", _coded("credit_classes")), Col("positive_list", "正面清单", _bool),
    ],
    # One row per monitored factor; rows sharing an MN form one point.
    "points": [
        Col("mn", "监测点编码MN"), Col("enterprise_uscc", "企业统一社会信用代码"), Col("name", "监测点名称"),
        Col("kind", "类型", _coded("point_kinds")), Col("ref_o2_pct", "基准氧含量%", _float),
        Col("factor_code", "监测因子编码"), Col("unit", "单位"), Col("limit_value", "排放限值", _float),
        Col("limit_min", "限值下限", _float), Col("corrected", "按折算值判定", _bool), Col("standard", "执行标准"),
    ],
}
ENTITIES = {"agencies": "机构", "officers": "执法人员", "enterprises": "企业", "points": "监测点"}
OPTIONAL = {"parent_code", "cert_no", "department", "active", "address", "key_polluter", "permit_no",
            "permit_valid_until", "credit_class", "positive_list", "name", "ref_o2_pct", "unit",
            "limit_value", "limit_min", "corrected", "standard", "roles"}


@dataclass
class ImportResult:
    entity: str
    created: int
    updated: int

    def message(self) -> str:
        return f"{ENTITIES[self.entity]}导入成功：新增 {self.created} 条，更新 {self.updated} 条"


# --- reading files -------------------------------------------------------------------------------

def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and (line number, cells) rows from CSV (UTF-8 with/without BOM, or GB18030) or
    .xlsx bytes. Blank rows are skipped but keep their line numbers counted."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ValidationFailed(f"无法读取Excel文件“{filename}”：文件已损坏或不是.xlsx格式",
                                   code="registry.import_unreadable") from exc
        ws = wb.worksheets[0]
        rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    elif name.endswith(".csv"):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationFailed(f"无法识别文件“{filename}”的编码（应为UTF-8或GBK）", code="registry.import_encoding")
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = []
        for cells in reader:
            rows.append((reader.line_num, cells))
    else:
        raise ValidationFailed(f"不支持的文件类型“{filename}”，请上传.csv或.xlsx文件", code="registry.import_type")
    if not rows:
        raise ValidationFailed("文件为空", code="registry.import_empty")
    header = [_text(c) for c in rows[0][1]]
    body = [(ln, cells) for ln, cells in rows[1:] if any(_text(c) for c in cells)]
    return header, body


def _map_header(entity: str, header: list[str]) -> dict[int, Col]:
    by_name = {}
    for col in SPECS[entity]:
        by_name[col.title] = col
        by_name[col.field] = col
    mapping, unknown = {}, []
    for i, h in enumerate(header):
        if h in by_name:
            mapping[i] = by_name[h]
        elif h:
            unknown.append(h)
    missing = [c.title for c in SPECS[entity] if c.field not in OPTIONAL and c not in mapping.values()]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"缺少必填列：{'、'.join(missing)}")
        if unknown:
            parts.append(f"无法识别的列：{'、'.join(unknown)}")
        raise ValidationFailed("；".join(parts), code="registry.import_header",
                               details=[{"line": 1, "column": "", "reason": p} for p in parts])
    return mapping


# --- validating and writing ----------------------------------------------------------------------

def import_file(session: Session, actor: Actor, entity: str, data: bytes, filename: str) -> ImportResult:
    if entity not in SPECS:
        raise ValidationFailed(f"未知的名录“{entity}”，应为：{'、'.join(SPECS)}", code="registry.import_entity")
    header, body = read_table(data, filename)
    mapping = _map_header(entity, header)
    titles = {c.field: header[i] for i, c in mapping.items()}
    rows = []
    errors = []
    for line, cells in body:
        values: dict[str, Any] = {}
        for i, col in mapping.items():
            raw = cells[i] if i < len(cells) else None
            try:
                values[col.field] = col.parse(raw)
            except ValueError as exc:
                errors.append({"line": line, "column": titles[col.field], "reason": str(exc)})
        rows.append((line, values))
    return import_rows(session, actor, entity, rows, titles=titles, pre_errors=errors)


def import_rows(session: Session, actor: Actor, entity: str, rows: list[tuple[int, dict[str, Any]]],
                titles: dict[str, str] | None = None, pre_errors: list[dict] | None = None) -> ImportResult:
    """Validate every row, then write all or nothing. ``rows`` are (line number, field values)."""
    require_role(actor, "admin")
    titles = titles or {c.field: c.title for c in SPECS[entity]}
    errors = list(pre_errors or [])
    bad_lines = {e["line"] for e in errors}
    validate = {"agencies": _validate_agency, "officers": _validate_officer,
                "enterprises": _validate_enterprise, "points": _validate_points}[entity]
    valid = validate(session, actor, [(ln, v) for ln, v in rows if ln not in bad_lines], errors)
    for e in errors:
        e["column"] = titles.get(e["column"], e["column"])
    if errors:
        errors.sort(key=lambda e: (e["line"], e["column"]))
        lines = sorted({e["line"] for e in errors})
        raise ValidationFailed(
            f"导入失败：共 {len(lines)} 行有错误（第 {'、'.join(map(str, lines[:20]))}{' 等' if len(lines) > 20 else ''} 行），未写入任何数据",
            code="registry.import_invalid", details=errors)
    writer = {"agencies": _write_agencies, "officers": _write_officers,
              "enterprises": _write_enterprises, "points": _write_points}[entity]
    return writer(session, actor, valid)


def _model(cls: type[BaseModel], line: int, values: dict, errors: list) -> BaseModel | None:
    try:
        return cls.model_validate({k: v for k, v in values.items() if v is not None or k in ("parent_code",)})
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            reason = "必填" if e["type"] == "missing" else ("不能为空" if "too_short" in e["type"] else e["msg"])
            errors.append({"line": line, "column": field, "reason": reason})
        return None


def _collect(line: int, found: list[tuple[str, str]], errors: list) -> bool:
    for column, reason in found:
        errors.append({"line": line, "column": column, "reason": reason})
    return not found


def _in_jurisdiction(actor: Actor, agency: Agency | None, line: int, column: str, errors: list) -> bool:
    if agency is not None and not actor.covers(agency.path):
        errors.append({"line": line, "column": column, "reason": f"“{agency.name}”不在您的管辖范围内"})
        return False
    return True


def _dupes(rows, key: str, errors: list, label: str) -> None:
    seen: dict[str, int] = {}
    for line, values in rows:
        k = values.get(key)
        if not k:
            continue
        if k in seen:
            errors.append({"line": line, "column": key, "reason": f"{label}“{k}”与第 {seen[k]} 行重复"})
        else:
            seen[k] = line


def _validate_agency(session, actor, rows, errors):
    _dupes(rows, "division_code", errors, "行政区划代码")
    valid = []
    known_codes = {v.get("division_code") for _, v in rows}
    # Parents may be defined earlier in the same file: validate in file order against a
    # staged view (existing agencies + rows before this one).
    for line, values in rows:
        data = _model(AgencyIn, line, values, errors)
        if data is None:
            continue
        found: list = []
        parent_in_file = data.parent_code in known_codes and service.agency_by_code(session, data.parent_code or "") is None
        if parent_in_file:
            code = data.parent_code
            data_check = data.model_copy(update={"parent_code": None, "level": data.level})
            service._check_agency_fields(session, data_check, found)
            found = [f for f in found if f[0] != "parent_code"]
            if not any(v.get("division_code") == code for ln, v in rows if ln < line):
                found.append(("parent_code", f"上级机构“{code}”须在本行之前定义"))
        else:
            parent = service._check_agency_fields(session, data, found)
            if parent is not None and not found:
                _in_jurisdiction(actor, parent, line, "parent_code", errors)
        if _collect(line, found, errors):
            valid.append((line, data))
    return valid


def _agencies_by_code(session) -> dict[str, Agency]:
    return {a.division_code: a for a in session.execute(select(Agency)).scalars()}


def _validate_officer(session, actor, rows, errors):
    _dupes(rows, "cert_no", errors, "执法证号")
    agencies = _agencies_by_code(session)
    valid = []
    for line, values in rows:
        values.setdefault("roles", ["officer"])
        if not values.get("roles"):
            values["roles"] = ["officer"]
        if values.get("department") in (None, ""):
            values.pop("department", None)
        data = _model(OfficerIn, line, values, errors)
        if data is None:
            continue
        found: list = []
        agency = service._check_officer_fields(session, data, found, agencies)
        if _collect(line, found, errors) and _in_jurisdiction(actor, agency, line, "agency_code", errors):
            valid.append((line, data))
    return valid


def _validate_enterprise(session, actor, rows, errors):
    for _, v in rows:
        if v.get("uscc"):
            v["uscc"] = v["uscc"].upper()
        if v.get("key_polluter") is None:
            v.pop("key_polluter", None)
        if v.get("credit_class") in (None, ""):
            v.pop("credit_class", None)
    _dupes(rows, "uscc", errors, "统一社会信用代码")
    agencies = _agencies_by_code(session)
    valid = []
    for line, values in rows:
        data = _model(EnterpriseIn, line, values, errors)
        if data is None:
            continue
        found: list = []
        agency = service._check_enterprise_fields(session, data, found, agencies)
        if _collect(line, found, errors) and _in_jurisdiction(actor, agency, line, "agency_code", errors):
            valid.append((line, data))
    return valid


def _validate_points(session, actor, rows, errors):
    groups: dict[str, list[tuple[int, dict]]] = {}
    for line, values in rows:
        if not values.get("mn"):
            errors.append({"line": line, "column": "mn", "reason": "必填"})
            continue
        groups.setdefault(values["mn"], []).append((line, values))
    enterprises = _by_uscc(session, {str(v.get("enterprise_uscc") or "").strip().upper() for _, v in rows})
    valid = []
    for mn, group in groups.items():
        first_line, first = group[0]
        for line, v in group[1:]:
            for f in ("enterprise_uscc", "kind", "ref_o2_pct"):
                if v.get(f) not in (None, "") and v.get(f) != first.get(f):
                    errors.append({"line": line, "column": f, "reason": f"与第 {first_line} 行同一监测点的取值不一致"})
        factors = []
        for line, v in group:
            if not v.get("factor_code"):
                continue
            fv = {k: v[k] for k in ("factor_code", "unit", "limit_value", "limit_min", "corrected", "standard")
                  if k in v and v[k] is not None}
            f = _model(FactorIn, line, fv, errors)
            if f is not None:
                factors.append((line, f))
        data = _model(PointIn, first_line, {"mn": mn, "enterprise_uscc": first.get("enterprise_uscc", ""),
                                            "name": first.get("name") or "", "kind": first.get("kind", ""),
                                            "ref_o2_pct": first.get("ref_o2_pct"),
                                            "factors": [f.model_dump() for _, f in factors]}, errors)
        if data is None:
            continue
        found: list = []
        ent = service._check_point_fields(session, data, found, enterprises)
        factor_lines = {f.factor_code: ln for ln, f in factors}
        for column, reason in found:
            line = next((ln for code, ln in factor_lines.items() if f"因子{code}" in reason or f"“{code}”" in reason),
                        first_line)
            errors.append({"line": line, "column": column, "reason": reason})
        if not found and ent is not None and _in_jurisdiction(actor, ent.agency, first_line, "enterprise_uscc", errors):
            valid.append((first_line, data))
    return valid


def _write_agencies(session, actor, valid) -> ImportResult:
    created = updated = 0
    for _, data in valid:
        existing = service.agency_by_code(session, data.division_code)
        if existing is None:
            service.create_agency(session, actor, data)
            created += 1
        elif existing.name != data.name:
            existing.name, existing.updated_at = data.name, now()
            record_many(session, actor, "agency.update", [("agency", existing.id, service.agency_state(existing))])
            updated += 1
    return ImportResult("agencies", created, updated)


def _write_officers(session, actor, valid) -> ImportResult:
    agencies = {a.division_code: a for a in session.execute(select(Agency)).scalars()}
    existing = {o.cert_no: o for o in session.execute(select(Officer).where(Officer.cert_no.is_not(None))).scalars()}
    created, updated, audit = 0, 0, []
    stamp = now()
    for _, d in valid:
        o = existing.get(d.cert_no) if d.cert_no else None
        if o is None:
            o = Officer(updated_at=stamp)
            session.add(o)
            created += 1
        else:
            updated += 1
        o.name, o.agency_id, o.cert_no = d.name, agencies[d.agency_code].id, d.cert_no
        o.roles, o.department, o.active, o.updated_at = sorted(set(d.roles)), d.department, d.active, stamp
        audit.append(o)
    session.flush()
    record_many(session, actor, "officer.import", [("officer", o.id, service.officer_state(o)) for o in audit])
    return ImportResult("officers", created, updated)


def _by_uscc(session, usccs) -> dict[str, Enterprise]:
    usccs, out = sorted(usccs), {}
    for i in range(0, len(usccs), 900):
        for e in session.execute(select(Enterprise).where(Enterprise.uscc.in_(usccs[i:i + 900]))).scalars():
            out[e.uscc] = e
    return out


def _insert(session, model, rows: list[dict], key: str) -> list[int]:
    """New rows written in one executemany (not one ORM object and statement each — RETURNING in
    parameter order would fall back to a statement per row on SQLite); their ids in order, read
    back by the unique ``key``."""
    if not rows:
        return []
    session.connection().execute(model.__table__.insert(), rows)
    keys, col, ids = [r[key] for r in rows], getattr(model, key), {}
    for i in range(0, len(keys), 900):
        ids.update(session.execute(select(col, model.id).where(col.in_(keys[i:i + 900]))).all())
    return [ids[k] for k in keys]


ENTERPRISE_FIELDS = ("uscc", "name", "address", "industry_code", "key_polluter", "permit_no", "permit_valid_until",
                     "credit_class", "positive_list")


def _write_enterprises(session, actor, valid) -> ImportResult:
    agencies = {a.division_code: a for a in session.execute(select(Agency).where(Agency.level == "county")).scalars()}
    existing = _by_uscc(session, [d.uscc for _, d in valid])
    stamp = now()
    new, states = [], []                 # states: (row dict of a new enterprise | existing enterprise)
    for _, d in valid:
        values = {f: getattr(d, f) for f in ENTERPRISE_FIELDS}
        values["agency_id"], values["updated_at"] = agencies[d.agency_code].id, stamp
        e = existing.get(d.uscc)
        if e is None:
            new.append(values)
            states.append(values)
        else:
            for field, value in values.items():
                setattr(e, field, value)
            states.append(e)
    session.flush()
    for values, new_id in zip(new, _insert(session, Enterprise, new, "uscc"), strict=True):
        values["id"] = new_id
    record_many(session, actor, "enterprise.import", [
        ("enterprise", x["id"], service.enterprise_state(SimpleNamespace(**x))) if isinstance(x, dict)
        else ("enterprise", x.id, service.enterprise_state(x)) for x in states])
    return ImportResult("enterprises", len(new), len(valid) - len(new))


def _write_points(session, actor, valid) -> ImportResult:
    stamp = now()
    ents = _by_uscc(session, {d.enterprise_uscc for _, d in valid})
    existing = {}
    mns = sorted({d.mn for _, d in valid})
    for i in range(0, len(mns), 900):
        for p in session.execute(select(MonitoringPoint).where(MonitoringPoint.mn.in_(mns[i:i + 900]))).scalars():
            existing[p.mn] = p
    new, states = [], []
    for _, d in valid:
        values = {"mn": d.mn, "enterprise_id": ents[d.enterprise_uscc].id, "name": d.name, "kind": d.kind,
                  "ref_o2_pct": d.ref_o2_pct, "active": d.active, "updated_at": stamp}
        factors = [{"position": i, **f.model_dump()} for i, f in enumerate(d.factors)]
        p = existing.get(d.mn)
        if p is None:
            values["pw"] = d.pw or new_device_password()
            new.append((values, factors))
            states.append((values, factors))
        else:
            for field, value in values.items():
                setattr(p, field, value)
            p.factors = [PointFactor(**f) for f in factors]
            states.append(p)
    session.flush()
    ids = _insert(session, MonitoringPoint, [values for values, _ in new], "mn")
    rows = []
    for (values, factors), new_id in zip(new, ids, strict=True):
        values["id"] = new_id
        rows += [{"point_id": new_id, **f} for f in factors]
    if rows:
        session.connection().execute(PointFactor.__table__.insert(), rows)
    record_many(session, actor, "point.import", [
        ("point", x[0]["id"], service.point_state(SimpleNamespace(**x[0], factors=[SimpleNamespace(**f) for f in x[1]])))
        if isinstance(x, tuple) else ("point", x.id, service.point_state(x)) for x in states])
    return ImportResult("points", len(new), len(valid) - len(new))


# --- export --------------------------------------------------------------------------------------

def export_iter(session: Session, actor: Actor, entity: str, filters: dict | None = None
                ) -> tuple[list[str], Iterator[list[Any]]]:
    """(header, rows) of the actor's jurisdiction in the import layout (Chinese headers); rows are
    read from the database in batches while they are consumed (streamed exports). ``filters`` are
    the list page's filters (officers: q, agency_id, active, certified; enterprises: q, agency_id,
    credit_class, key_polluter, positive_list; points: q, kind)."""
    from ..core.pagination import iter_all

    if entity not in SPECS:
        raise ValidationFailed(f"未知的名录“{entity}”", code="registry.import_entity")
    cls = service.classes()
    header = [c.title for c in SPECS[entity]]
    f = {k: v for k, v in (filters or {}).items() if v is not None}

    def agencies():
        by_id = {a.id: a for a in session.execute(select(Agency)).scalars()}
        for a in service.list_agencies(session, actor):
            parent = by_id.get(a.parent_id)
            yield [a.division_code, a.name, cls["agency_levels"][a.level]["name"],
                   parent.division_code if parent else ""]

    def officers():
        for o in iter_all(session, service.officers_query(session, actor, **f).order_by(Officer.id)):
            yield [o.name, o.agency.division_code, o.cert_no or "", ",".join(o.roles or []), o.department,
                   "是" if o.active else "否"]

    def enterprises():
        # the exported columns only (the list's query joins the agency already): a province's
        # 20,500 firms as objects with their agencies took most of the export's time
        e = Enterprise
        stmt = service.enterprises_query(session, actor, **f).with_only_columns(
            e.uscc, e.name, e.address, Agency.division_code, e.industry_code, e.key_polluter, e.permit_no,
            e.permit_valid_until, e.credit_class, e.positive_list).order_by(e.id)
        kinds, credit = cls["key_polluter_categories"], cls["credit_classes"]
        for (uscc, name, address, division, industry, key_polluter, permit_no, permit_until, credit_class,
             positive) in session.execute(stmt.execution_options(yield_per=1000)):
            yield [uscc, name, address, division, industry, kinds.get(key_polluter, {}).get("name", key_polluter),
                   permit_no or "", permit_until.isoformat() if permit_until else "",
                   credit[credit_class]["name"], "是" if positive else "否"]

    def points():
        page = 1
        while True:                                    # points carry their factors: page through them
            batch = service.list_points(session, actor, page=PageParams(page=page, size=500), **f)
            for p in batch.items:
                kind = cls["point_kinds"][p.kind]["name"]
                base = [p.mn, p.enterprise.uscc, p.name, kind, "" if p.ref_o2_pct is None else p.ref_o2_pct]
                for fc in p.factors or [None]:
                    if fc is None:
                        yield base + ["", "", "", "", "", ""]
                        continue
                    yield base + [fc.factor_code, fc.unit, "" if fc.limit_value is None else fc.limit_value,
                                  "" if fc.limit_min is None else fc.limit_min, "是" if fc.corrected else "否",
                                  fc.standard]
            if page >= batch.pages:
                return
            page += 1
            session.expunge_all()                      # keep memory flat across pages

    return header, {"agencies": agencies, "officers": officers, "enterprises": enterprises, "points": points}[entity]()


def export_rows(session: Session, actor: Actor, entity: str) -> tuple[list[str], list[list[Any]]]:
    """Rows of the actor's jurisdiction in the import layout (Chinese headers)."""
    header, rows = export_iter(session, actor, entity)
    return header, list(rows)


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM so Excel opens it as UTF-8


def to_xlsx(header: list[str], rows: list[list[Any]], title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_file(session: Session, actor: Actor, entity: str, filename: str) -> bytes:
    header, rows = export_rows(session, actor, entity)
    if Path(filename).suffix.lower() == ".xlsx":
        return to_xlsx(header, rows, ENTITIES[entity])
    return to_csv(header, rows)
