"""Ad-hoc screening without a database: a dump of HJ 212 packets and a limits.csv → leads."""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from ..core.errors import ValidationFailed
from ..hj212 import lake
from ..hj212.codec import ParseError, Reassembler, parse
from ..hj212.rows import packet_rows
from .detectors import Finding
from .engine import screen
from .hourly import Limits
from .rules import rules


def read_limits(path: Path) -> Limits:
    """limits.csv: mn,factor,limit,unit,ref_o2 (ref_o2 empty where no correction applies)."""
    table: dict = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rd = csv.DictReader(fh)
        missing = {"mn", "factor", "limit"} - set(rd.fieldnames or [])
        if missing:
            raise ValidationFailed(f"limits.csv 缺少列：{', '.join(sorted(missing))}", code="offsite.limits_columns")
        for i, row in enumerate(rd, 2):
            try:
                limit = float(row["limit"]) if row["limit"] not in (None, "") else None
                ref = float(row["ref_o2"]) if row.get("ref_o2") not in (None, "") else None
            except ValueError as exc:
                raise ValidationFailed(f"limits.csv 第 {i} 行数值无效：{exc}", code="offsite.limits_value") from exc
            table.setdefault(row["mn"], {})[row["factor"]] = (limit, ref)
    return Limits(table)


def packets_to_lake(lines: list[bytes], root: Path):
    """Parse packets tolerantly; minute data as is, real-time data as the first value of each minute."""
    rows: list[dict] = []
    reasm = Reassembler()
    bad = 0
    seen = set()
    for line in lines:
        try:
            p = parse(line, tolerant=True)
        except ParseError:
            bad += 1
            continue
        full = reasm.add(p)
        if full is None:
            continue
        for r in packet_rows(full, full.data_time or datetime.now()):
            if r["kind"] == "rtd":
                r = {**r, "kind": "minute", "data_time": r["data_time"].replace(second=0)}
            if r["kind"] != "minute":
                continue
            k = (r["mn"], r["factor"], r["data_time"])
            if k in seen:
                continue
            seen.add(k)
            rows.append(r)
    lake.write_rows(root, rows, prefix="screen")
    times = [r["data_time"] for r in rows]
    return len(rows), bad, (min(times) if times else None), (max(times) if times else None)


def evidence(f: Finding, lake_root: str) -> dict:
    r = rules()
    block = getattr(r, f.detector)
    factor_sql = "" if f.factor == "*" else f" AND factor = '{f.factor}'"
    return {"explanation": f.explanation, "rule": {"detector": f.detector, "thresholds": f.thresholds,
                                                   "source": block.get("source")},
            "rows": f.rows,
            "query": (f"SELECT * FROM read_parquet('{lake_root}/minute/date=*/*.parquet') WHERE mn = '{f.mn}'"
                      f"{factor_sql} AND data_time >= TIMESTAMP '{f.start:%Y-%m-%d %H:%M:%S}' "
                      f"AND data_time < TIMESTAMP '{f.end:%Y-%m-%d %H:%M:%S}' ORDER BY factor, data_time")}


def as_json(f: Finding, lake_root: str) -> dict:
    return {"mn": f.mn, "factor": f.factor, "detector": f.detector, "start": f.start.isoformat() + "+08:00",
            "end": f.end.isoformat() + "+08:00", "score": f.score, "evidence": evidence(f, lake_root)}


def screen_packets(lines: list[bytes], limits: Limits, *, engine: str = "duckdb", workdir: Path | None = None
                   ) -> tuple[list[dict], dict]:
    tmp = workdir or Path(tempfile.mkdtemp(prefix="greensword-screen-"))
    n, bad, tmin, tmax = packets_to_lake(lines, tmp)
    if not n:
        return [], {"rows": 0, "rejected": bad}
    start = tmin.replace(minute=0, second=0, microsecond=0)          # the dump's own span
    end = tmax.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    found = screen(tmp, limits, start, end, engine=engine)
    return [as_json(f, str(tmp)) for f in found], {"rows": n, "rejected": bad, "lake": str(tmp)}


def write_jsonl(leads: list[dict], out) -> None:
    for x in leads:
        out.write(json.dumps(x, ensure_ascii=False, default=str) + "\n")
