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
from .detectors import LABELS, Finding
from .engine import screen
from .hourly import Limits
from .rules import rules


def read_limits(path: Path) -> Limits:
    """limits.csv: mn,factor,limit,unit,ref_o2[,standard] (ref_o2 empty where no correction
    applies; standard, e.g. "GB 18485-2014", decides what start-up/shut-down marks excuse)."""
    table: dict = {}
    standards: dict = {}
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
            if not (row.get("mn") or "").strip() or not (row.get("factor") or "").strip():
                raise ValidationFailed(f"limits.csv 第 {i} 行缺少 mn 或 factor", code="offsite.limits_value")
            if (limit is not None and limit <= 0) or (ref is not None and not 0 <= ref < 21):
                raise ValidationFailed(f"limits.csv 第 {i} 行数值无效：限值须大于 0，基准氧含量须在 0–21 之间",
                                       code="offsite.limits_value")
            table.setdefault(row["mn"].strip(), {})[row["factor"].strip()] = (limit, ref)
            if (row.get("standard") or "").strip():
                standards[(row["mn"].strip(), row["factor"].strip())] = row["standard"].strip()
    return Limits(table, standards=standards)


def packets_to_lake(lines: list[bytes], root: Path) -> dict:
    """Parse packets tolerantly into a lake: minute (2051), hourly (2061) and daily (2031) data as
    sent; real-time data (2011) folded by time into minute averages; MinInterval (1063/1064) kept
    per MN. Re-sent packets are kept once (the first copy). Returns what was read and skipped."""
    rows: list[dict] = []
    reasm = Reassembler()
    bad = 0
    other = 0
    seen = set()
    intervals: dict[str, int] = {}
    rtd: dict[tuple, list] = {}
    for line in lines:
        try:
            p = parse(line, tolerant=True)
        except ParseError:
            bad += 1
            continue
        full = reasm.add(p)
        if full is None:
            continue
        if "MinInterval" in full.cp:
            try:
                intervals[full.mn] = int(float(full.cp["MinInterval"]))
            except ValueError:
                bad += 1
        produced = packet_rows(full, full.data_time or datetime.now())
        if not produced:
            other += 1
        for r in produced:
            if r["kind"] == "rtd":
                key = (r["mn"], r["factor"], r["data_time"].replace(second=0, microsecond=0))
                rtd.setdefault(key, []).append(r)
                continue
            if r["kind"] not in ("minute", "hour", "day"):
                continue
            k = (r["mn"], r["factor"], r["data_time"], r["kind"])
            if k in seen:
                continue
            seen.add(k)
            rows.append(r)
    for (mn, factor, minute), group in rtd.items():          # real-time samples → one minute average
        if (mn, factor, minute, "minute") in seen:
            continue
        vals = [g["value"] for g in group if g["value"] is not None]
        zs = [g["zs_value"] for g in group if g["zs_value"] is not None]
        flags = [g["flag"] for g in group if g["flag"] not in (None, "N")]
        rows.append({**group[0], "kind": "minute", "data_time": minute,
                     "value": sum(vals) / len(vals) if vals else None,
                     "zs_value": sum(zs) / len(zs) if zs else None,
                     "flag": flags[0] if flags else group[0]["flag"]})
    lake.write_rows(root, rows, prefix="screen")
    times = [r["data_time"] for r in rows]
    return {"rows": len(rows), "rejected": bad, "other_packets": other, "intervals": intervals,
            "first": min(times) if times else None, "last": max(times) if times else None}


def evidence(f: Finding, lake_root: str) -> dict:
    r = rules()
    block = r.block(f.detector)
    source = block.source if hasattr(block, "source") else None
    factor_sql = "" if f.factor == "*" else f" AND factor = '{f.factor}'"
    mn = f.mn.replace("'", "''")
    return {"explanation": f.explanation, "rule": {"detector": f.detector, "thresholds": f.thresholds,
                                                   "label": LABELS.get(f.detector, f.detector),
                                                   "source": source.model_dump() if source else None},
            "rows": f.rows,
            "query": (f"SELECT * FROM read_parquet('{lake_root}/*/date=*/*.parquet', union_by_name = true) "
                      f"WHERE kind IN ('minute', 'hour') AND mn = '{mn}'"
                      f"{factor_sql} AND data_time >= TIMESTAMP '{f.start:%Y-%m-%d %H:%M:%S}' "
                      f"AND data_time < TIMESTAMP '{f.end:%Y-%m-%d %H:%M:%S}' ORDER BY factor, data_time")}


def as_json(f: Finding, lake_root: str) -> dict:
    return {"mn": f.mn, "factor": f.factor, "detector": f.detector, "start": f.start.isoformat() + "+08:00",
            "end": f.end.isoformat() + "+08:00", "score": f.score, "evidence": evidence(f, lake_root)}


def screen_packets(lines: list[bytes], limits: Limits, *, engine: str = "duckdb", workdir: Path | None = None
                   ) -> tuple[list[dict], dict]:
    """Screen a dump; the summary says what was read and what was skipped, and why."""
    tmp = workdir or Path(tempfile.mkdtemp(prefix="greensword-screen-"))
    st = packets_to_lake(lines, tmp)
    stats = {"rows": st["rows"], "rejected": st["rejected"], "other_packets": st["other_packets"],
             "intervals": st["intervals"]}
    if not st["rows"]:
        return [], stats
    start = st["first"].replace(minute=0, second=0, microsecond=0)          # the dump's own span
    end = st["last"].replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    report: dict = {}
    found = screen(tmp, limits, start, end, engine=engine, context=timedelta(0), intervals=st["intervals"],
                   report=report)
    stats.update({"lake": str(tmp), "unknown_mn": sorted(report.get("unknown_mn", ())),
                  "no_limit": sorted(f"{mn}/{f}" for mn, f in report.get("no_limit", ()))})
    return [as_json(f, str(tmp)) for f in found], stats


def write_jsonl(leads: list[dict], out) -> None:
    for x in leads:
        out.write(json.dumps(x, ensure_ascii=False, default=str) + "\n")
