"""Run every detector over a time window of the lake with DuckDB (default) or Spark."""

from __future__ import annotations

import importlib
import time
from datetime import datetime, timedelta
from pathlib import Path

from . import detectors
from .hourly import Limits, Raw, assemble, duckdb_raw, lake_intervals, spark_raw
from .rules import rules


def _query(lake_root, limits, lo, end, engine, spark) -> Raw:
    if engine == "duckdb":
        return duckdb_raw(lake_root, limits, lo, end)
    if engine == "spark":
        from .hourly import spark_session

        return spark_raw(spark or spark_session(), lake_root, limits, lo, end)
    raise ValueError(f"engine 应为 duckdb 或 spark，而不是 {engine}")


def screen(lake_root: Path, limits: Limits, start: datetime, end: datetime, *, engine: str = "duckdb",
           spark=None, names: list[str] | None = None, context: timedelta | None = None,
           state: dict | None = None, intervals: dict[str, int] | list | None = None,
           report: dict | None = None, timings: dict | None = None) -> list[detectors.Finding]:
    """Findings overlapping [start, end). ``context`` hours before start are read too (each point's
    own recent behaviour is the baseline; default: rules ``screening.baseline_hours``, so a
    baseline exists from the first day screened); ``state`` carries the previous window's tail and earlier
    days' series between consecutive windows (``greensword offsite detect`` screens day by day).
    ``intervals`` gives MinInterval per MN where the device reported it (default: the settings
    stored in the lake, kind ``setting``, each in force from its time); ``report`` receives what
    was skipped and why; ``timings`` accumulates (wall, CPU) seconds per stage."""
    r = rules()
    if context is None:
        context = timedelta(hours=r.screening.baseline_hours)
    clock = _Clock(timings)
    lo = start - context
    reuse = state is not None and state.get("tail_end") == start and context
    raw = _query(lake_root, limits, start if reuse else lo, end, engine, spark)
    clock("query")
    if reuse:
        raw = state["tail"].since(lo) + raw
    if state is not None and context:
        state["tail"] = raw.since(end - context)
        state["tail_end"] = end
    if intervals is None:              # MinInterval the devices reported, stored in the lake; else inferred
        intervals = lake_intervals(lake_root, end)
    rows, days, skipped = assemble(raw, limits, r, start.date(), intervals=intervals)
    v = r.validity.on(start.date())
    data = detectors.Data(rows, v.minutes_per_valid_hour, days=days, window=(start, end), links=limits.links)
    clock("assemble")
    found = []
    for name in names or detectors.NAMES:
        mod = importlib.import_module(f"{detectors.__name__}.{name}")
        if name == "duplicate_pattern":
            found.extend(mod.detect(data, limits, r, seen=(state.setdefault("history", {}) if state is not None
                                                           else None)))
        else:
            found.extend(mod.detect(data, limits, r))
        clock(name)
    found = [f for f in found if f.end > start and f.start < end]
    if report is not None:
        report.setdefault("unknown_mn", set()).update(skipped["unknown_mn"])
        no_limit = report.setdefault("no_limit", set())
        for (mn, factor) in data.series:
            if mn in limits.table and factor not in limits.table[mn]:
                no_limit.add((mn, factor))
    return merge(found)


class _Clock:
    """Accumulates (wall, CPU of the process) seconds per stage into ``timings`` when given."""

    def __init__(self, timings: dict | None):
        self.timings = timings
        self.t, self.c = time.perf_counter(), time.process_time()

    def __call__(self, stage: str) -> None:
        if self.timings is None:
            return
        t, c = time.perf_counter(), time.process_time()
        w0, c0 = self.timings.get(stage, (0.0, 0.0))
        self.timings[stage] = (w0 + t - self.t, c0 + c - self.c)
        self.t, self.c = t, c


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


def quality(findings: list[detectors.Finding], labels: list[dict], names: list[str] | None = None) -> dict[str, dict]:
    """Per detector: precision (findings overlapping a label of that detector and MN) and recall
    (labels overlapped by a finding of that detector)."""
    out = {}
    for name in names or detectors.NAMES:
        fs = [f for f in findings if f.detector == name]
        ls = [x for x in labels if x["detector"] == name]
        spans = {}
        for x in ls:
            spans.setdefault(x["mn"], []).append((datetime.fromisoformat(x["start"]), datetime.fromisoformat(x["end"])))

        def hit(f, x):
            return (f.mn == x["mn"] and f.start < datetime.fromisoformat(x["end"])
                    and datetime.fromisoformat(x["start"]) < f.end)

        tp_f = sum(1 for f in fs if any(f.start < e and s < f.end for s, e in spans.get(f.mn, [])))
        tp_l = sum(1 for x in ls if any(hit(f, x) for f in fs))
        out[name] = {"findings": len(fs), "labels": len(ls), "tp_f": tp_f, "tp_l": tp_l,
                     "precision": round(tp_f / len(fs), 4) if fs else (1.0 if not ls else 0.0),
                     "recall": round(tp_l / len(ls), 4) if ls else 1.0}
    return out
