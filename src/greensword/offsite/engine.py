"""Run every detector over a time window of the lake with DuckDB (default) or Spark."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from . import detectors
from .hourly import Limits, duckdb_hourly, spark_hourly
from .rules import rules


def screen(lake_root: Path, limits: Limits, start: datetime, end: datetime, *, engine: str = "duckdb",
           spark=None, names: list[str] | None = None, context: timedelta = timedelta(0),
           state: dict | None = None) -> list[detectors.Finding]:
    """Findings overlapping [start, end). ``context`` hours before start are read too (baselines
    for sudden drops); ``state`` carries day fingerprints between consecutive windows so a day
    copied from any earlier screened day is still recognised."""
    r = rules()
    lo = start - context
    # consecutive windows: the previous window's last hours are the context, no second scan
    reuse = state is not None and state.get("tail_end") == start and context
    q_lo = start if reuse else lo
    if engine == "duckdb":
        rows = duckdb_hourly(lake_root, limits, q_lo, end)
    elif engine == "spark":
        from .hourly import spark_session

        rows = spark_hourly(spark or spark_session(), lake_root, limits, q_lo, end)
    else:
        raise ValueError(f"engine 应为 duckdb 或 spark，而不是 {engine}")
    if reuse:
        rows = [t for t in state["tail"] if t[2] >= lo] + rows
        rows.sort(key=lambda t: (t[0], t[1], t[2]))
    if state is not None and context:
        state["tail"] = [t for t in rows if t[2] >= end - context]
        state["tail_end"] = end
    data = detectors.Data(rows, r.validity["minutes_per_valid_hour"])
    found = []
    for name in names or detectors.NAMES:
        import importlib

        mod = importlib.import_module(f"{detectors.__name__}.{name}")
        if name == "missing_data":
            found.extend(mod.detect(data, limits, r, window=(start, end)))
        elif name == "duplicate_pattern" and state is not None:
            found.extend(mod.detect(data, limits, r, seen=state.setdefault("fingerprints", {})))
        else:
            found.extend(mod.detect(data, limits, r))
    found = [f for f in found if f.end > start]
    found.sort(key=lambda f: (f.mn, f.start, f.detector, f.factor))
    return merge(found)


def merge(findings: list[detectors.Finding]) -> list[detectors.Finding]:
    """Overlapping or adjacent findings of one point, factor and detector become one."""
    out: list[detectors.Finding] = []
    last: dict[tuple, detectors.Finding] = {}
    for f in sorted(findings, key=lambda f: (f.mn, f.factor, f.detector, f.start)):
        k = (f.mn, f.factor, f.detector)
        prev = last.get(k)
        if prev is not None and f.start <= prev.end:
            prev.end = max(prev.end, f.end)
            prev.score = max(prev.score, f.score)
            prev.rows = (prev.rows + f.rows)[:96]
            continue
        out.append(f)
        last[k] = f
    out.sort(key=lambda f: (f.mn, f.start, f.detector, f.factor))
    return out


def quality(findings: list[detectors.Finding], labels: list[dict]) -> dict[str, dict]:
    """Per detector: precision (findings overlapping a label of that detector and MN) and recall
    (labels overlapped by a finding of that detector)."""
    out = {}
    for name in detectors.NAMES:
        fs = [f for f in findings if f.detector == name]
        ls = [x for x in labels if x["detector"] == name]

        def hit(f, x):
            return (f.mn == x["mn"] and f.start < datetime.fromisoformat(x["end"])
                    and datetime.fromisoformat(x["start"]) < f.end)

        tp_f = sum(1 for f in fs if any(hit(f, x) for x in ls))
        tp_l = sum(1 for x in ls if any(hit(f, x) for f in fs))
        out[name] = {"findings": len(fs), "labels": len(ls),
                     "precision": round(tp_f / len(fs), 4) if fs else (1.0 if not ls else 0.0),
                     "recall": round(tp_l / len(ls), 4) if ls else 1.0}
    return out
