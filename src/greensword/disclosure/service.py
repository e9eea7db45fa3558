"""Public disclosure (信息公开, in the manner of EPA's ECHO): facility search and report, penalty
decisions with their legal basis, bulk CSV/Parquet downloads, a statement of coverage and
freshness, and each double-random draw's inputs so that anyone can re-run it (docs/draw.md).

Read-only: everything comes through the other domains' services (see ``sources``); nothing here
writes, and no officer or person appears (officers of a draw are pseudonymous ids)."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import date, datetime

from sqlalchemy.orm import Session

from ..core.canonical import canonical_bytes
from ..core.errors import NotFound, ValidationFailed
from ..core.pagination import PageParams
from ..core.timeutil import now
from . import sources
from .rules import rules

USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def clean_query(text: str | None) -> str:
    """Public search input: Unicode-normalised, control characters dropped, whitespace folded,
    capped in length. Wildcards (% _ *) stay literal: the registry escapes LIKE."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)[:5000])
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    return text[:rules().limits.query_max_chars]


def _size(size: int) -> int:
    cap = rules().limits.page_size_max
    if size < 1:
        raise ValidationFailed("每页条数至少为1", code="disclosure.bad_page_size")
    return min(size, cap)


def search(session: Session, *, q: str = "", region: str = "", industry: str = "", credit_class: str = "",
           page: int = 1, size: int = 20) -> dict:
    """Facilities by name or credit code (substring, wildcards literal), region (division code:
    the region and everything under it) and industry (GB/T 4754 code prefix)."""
    q = clean_query(q)
    industry = clean_query(industry).upper()[:5]
    if industry and not re.fullmatch(r"[A-Z]\d{0,4}", industry):
        raise ValidationFailed("行业代码应为门类字母加数字（如 C26）", code="disclosure.bad_industry")
    if page < 1 or page > 10000:
        raise ValidationFailed("页码应在 1–10000 之间", code="disclosure.bad_page")
    size = _size(size)
    region_id = None
    if region:
        code = clean_query(region)
        match = [r for r in sources.regions(session) if r["code"] == code]
        if not match:
            raise ValidationFailed(f"行政区划代码 {code} 不在本平台范围内", code="disclosure.bad_region")
        region_id = match[0]["id"]
    if q and USCC.match(q.upper()):
        e = sources.enterprise_by_uscc(session, q)
        items = [e] if e is not None else []
        total = len(items)
    else:
        pg = sources.search_enterprises(session, q=q, region_id=region_id, industry=industry,
                                        credit_class=credit_class, page=page, size=size)
        items, total = pg.items, pg.total
    return {"query": {"q": q, "region": region, "industry": industry, "credit_class": credit_class},
            "page": page, "size": size, "total": total, "pages": max(1, -(-total // size)),
            "items": [sources.enterprise_public(e) for e in items]}


def facility(session: Session, key: str | int) -> dict:
    """The facility report: directory facts, credit class, published inspections and results,
    penalty decisions with amounts and legal basis."""
    e = None
    text = clean_query(str(key))
    if len(text) == 18:                                   # a credit code (may be all digits)
        e = sources.enterprise_by_uscc(session, text)
    elif text.isdigit() and len(text) <= 9:               # an internal id
        try:
            e = sources.enterprise(session, int(text))
        except NotFound:
            e = None
    if e is None:
        raise NotFound("未找到该企业", code="disclosure.facility_not_found")
    insp = sources.inspections(session, enterprise_id=e.id, limit=500)
    dec = sources.decisions(session, enterprise_id=e.id, enterprise_name=e.name)
    return {"facility": sources.enterprise_public(e), "inspections": insp, "decisions": dec,
            "summary": {"inspections": len(insp), "violations_found": sum(1 for i in insp if "发现环境违法" in i["result"]),
                        "decisions": sum(1 for d in dec if d["status"] == "公开"),
                        "fines": sum(d["fine"] for d in dec if d["status"] == "公开")}}


# --- bulk ---------------------------------------------------------------------------------------

FACILITY_COLS = ["uscc", "name", "address", "region", "region_code", "industry_code", "key_polluter",
                 "credit_class", "credit_class_name", "permit_no", "permit_valid_until"]
INSPECTION_COLS = ["uscc", "enterprise", "agency", "plan_id", "checked_on", "matters", "result"]
DECISION_COLS = ["case_number", "uscc", "enterprise", "violation", "breach", "penalty_basis", "fine",
                 "decided_on", "publish_by", "status", "note"]
KINDS = {"facilities": FACILITY_COLS, "inspections": INSPECTION_COLS, "decisions": DECISION_COLS}


def dataset(session: Session, kind: str, *, uscc: str | None = None) -> list[dict]:
    if kind not in KINDS:
        raise NotFound(f"没有名为 {kind} 的数据集", code="disclosure.no_dataset")
    if kind == "facilities":
        rows, page = [], 1
        while True:
            pg = sources.search_enterprises(session, page=page, size=500)
            rows += [sources.enterprise_public(e) for e in pg.items]
            if page >= pg.pages:
                break
            page += 1
    elif kind == "inspections":
        rows = sources.inspections(session, limit=1_000_000)
    else:
        rows = sources.decisions(session)
    if uscc:
        rows = [r for r in rows if r.get("uscc") == uscc]
    cols = KINDS[kind]
    return [{c: _plain(r.get(c)) for c in cols} for r in rows]


def _plain(v):
    if isinstance(v, datetime | date):
        return v.isoformat()
    return "" if v is None else v


def to_csv(rows: list[dict], cols: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        # a cell starting with = + - @ is prefixed so spreadsheets do not run it as a formula
        w.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in r.items()})
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_parquet(rows: list[dict], cols: list[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({c: [r.get(c) for r in rows] for c in cols}) if rows else pa.table(
        {c: pa.array([], pa.string()) for c in cols})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


# --- coverage -------------------------------------------------------------------------------------

def coverage(session: Session) -> dict:
    """What the data covers and how fresh it is, from the data itself."""
    regions = sources.regions(session)
    fac = sources.search_enterprises(session, page=1, size=1)
    insp = sources.inspections(session, limit=1_000_000)
    dec = sources.decisions(session)
    drw = sources.draws(session, PageParams(size=1))           # the total and the latest draw
    r = rules()
    return {"generated_at": now().isoformat(timespec="seconds"),
            "regions": len(regions), "facilities": fac.total,
            "inspections": len(insp), "latest_inspection": max((i["checked_on"] for i in insp), default=None),
            "decisions": sum(1 for d in dec if d["status"] == "公开"),
            "withdrawn": sum(1 for d in dec if d["status"] == "已撤回"),
            "credit_repaired": sum(1 for d in dec if d["status"] == "已信用修复"),
            "latest_decision": max((d["decided_on"] for d in dec), default=None),
            "draws": drw.total, "latest_draw": drw.items[0]["drawn_at"] if drw.items else None,
            "publication": r.publication.on(now().date()), "withdrawal": r.withdrawal.on(now().date()),
            "limits": r.limits}


# --- draws ------------------------------------------------------------------------------------------

DRAW_FILES = ("manifest.json", "enterprises.json", "officers.json", "params.json", "result.json")


#: The canonical JSON of docs/draw.md §1 (sorted keys, no spaces, UTF-8, non-ASCII as is): the
#: platform's one implementation, whose SHA-256 is each published hash.
canonical = canonical_bytes


def draw_files(session: Session, plan_id: int) -> dict[str, bytes]:
    """The published files of one draw. The snapshots are the exact canonical JSON whose SHA-256
    is the published hash (docs/draw.md)."""
    d = sources.draw_inputs(session, plan_id)
    if d["enterprises"] is None or d["officers"] is None:
        raise NotFound("该次抽取的名录快照缺失", code="disclosure.snapshot_missing")
    manifest = {"plan_id": d["plan_id"], "seed": d["seed"], "enterprises_hash": d["enterprises_hash"],
                "officers_hash": d["officers_hash"], "params_hash": d["params_hash"],
                "result_hash": d["result_hash"], "algorithm": "docs/draw.md (greensword-draw-v1)",
                "files": list(DRAW_FILES[1:])}
    return {"manifest.json": json.dumps(manifest, ensure_ascii=False, indent=1).encode(),
            "enterprises.json": canonical(d["enterprises"]), "officers.json": canonical(d["officers"]),
            "params.json": canonical(d["params"]), "result.json": canonical(d["result"])}
