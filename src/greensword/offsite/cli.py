"""``greensword offsite screen|detect`` and ``greensword demo monitoring``."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)
offsite_app = typer.Typer(help="非现场监管：异常数据筛查与线索", no_args_is_help=True)


@offsite_app.command("screen")
def screen_cmd(
    packets: Annotated[Path, typer.Argument(help="HJ 212 报文文件，每行一包")],
    limits: Annotated[Path, typer.Option(help="限值表 CSV：mn,factor,limit,unit,ref_o2")],
    out: Annotated[Path | None, typer.Option(help="输出线索 JSONL（默认标准输出）")] = None,
    engine: Annotated[str, typer.Option(help="duckdb | spark")] = "duckdb",
) -> None:
    """Screen a packet dump without a database; one JSON lead per line."""
    from ..hj212.dump import split_lines
    from .screen import read_limits, screen_packets, write_jsonl

    if not packets.exists():
        raise typer.BadParameter(f"文件“{packets}”不存在")
    leads, stats = screen_packets(split_lines(packets.read_bytes()), read_limits(limits), engine=engine)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            write_jsonl(leads, fh)
    else:
        write_jsonl(leads, sys.stdout)
    console.print(f"数据 {stats['rows']} 行（无法解析的报文 {stats['rejected']} 条，非数据报文 "
                  f"{stats.get('other_packets', 0)} 条），线索 {len(leads)} 条")
    if stats.get("unknown_mn"):
        console.print(f"未筛查：{len(stats['unknown_mn'])} 个监测点不在限值表中（{', '.join(stats['unknown_mn'][:5])}…）")
    if stats.get("no_limit"):
        console.print(f"仅作数据质量筛查（无限值，不判超标等）：{len(stats['no_limit'])} 个因子"
                      f"（{', '.join(stats['no_limit'][:5])}…）")


@offsite_app.command("detect")
def detect_cmd(
    from_: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD")],
    to: Annotated[str, typer.Option("--to", help="截止日期 YYYY-MM-DD（含）")],
    engine: Annotated[str, typer.Option(help="duckdb | spark")] = "duckdb",
    county: Annotated[str | None, typer.Option(help="只筛查该区县（行政区划代码）")] = None,
    out: Annotated[Path | None, typer.Option(help="另存线索 JSONL")] = None,
) -> None:
    """Run every detector over the lake, day by day, and file the findings as leads."""
    from rich.progress import Progress

    from ..core.auth import Actor
    from ..core.db import session_scope
    from ..settings import get_settings
    from . import service
    from .engine import screen
    from .screen import as_json, write_jsonl

    s = get_settings()
    start, end = date.fromisoformat(from_), date.fromisoformat(to)
    with session_scope() as session:
        limits = service.limits_from_registry(session, county)
    if county:
        allowed = set(limits.table)
    found = []
    state: dict = {}
    days = (end - start).days + 1
    with Progress(console=console) as progress:
        task = progress.add_task("非现场筛查", total=days)
        for i in range(days):
            d0 = datetime.combine(start + timedelta(days=i), datetime.min.time())
            fs = screen(s.lake_path, limits, d0, d0 + timedelta(days=1), engine=engine, state=state)
            found.extend(f for f in fs if not county or f.mn in allowed)
            progress.advance(task)
    with session_scope() as session:
        created, folded = service.ingest(session, Actor.system("offsite"), found, str(s.lake_path))
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            write_jsonl([as_json(f, str(s.lake_path)) for f in found], fh)
    console.print(f"发现 {len(found)} 处异常：新建线索 {created} 条，并入已有线索 {folded} 次")


def demo_monitoring(
    days: Annotated[int, typer.Option(help="天数")] = 7,
    inject: Annotated[str, typer.Option(help="注入的违法类型及数量，如 all=2 或 exceedance=3,flatline=1")] = "all=2",
    points: Annotated[int, typer.Option(help="使用名录中的监测点数量（0 = 全部）")] = 0,
    seed: int = 2026,
    start: Annotated[str | None, typer.Option(help="起始日期，默认今天往前 days 天")] = None,
    labels: Annotated[Path | None, typer.Option(help="标注文件（JSONL），默认 var/lake/labels-<seed>.jsonl")] = None,
) -> None:
    """Monitoring data (mixed intervals) for the demo province's points with known injected violations and a
    label file."""
    import numpy as np
    from sqlalchemy import select

    from ..core.db import session_scope
    from ..registry.models import MonitoringPoint
    from ..settings import get_settings
    from . import adversary

    s = get_settings()
    with session_scope() as session:
        limits = __import__("greensword.offsite.service", fromlist=["x"]).limits_from_registry(session)
        pts = session.execute(select(MonitoringPoint.mn, MonitoringPoint.kind, MonitoringPoint.ref_o2_pct)
                              .where(MonitoringPoint.kind.in_(("gas", "water"))).order_by(MonitoringPoint.mn)).all()
    if points:
        pts = pts[:points]
    specs = [(mn, kind, {f: lim for f, (lim, _) in limits.table.get(mn, {}).items() if lim},
              ref if kind == "gas" else None) for mn, kind, ref in pts]
    specs = [x for x in specs if x[2]]
    first = date.fromisoformat(start) if start else date.today() - timedelta(days=days)
    label_file = labels or s.lake_path / f"labels-{seed}.jsonl"
    s.lake_path.mkdir(parents=True, exist_ok=True)
    _, labs, _ = adversary.generate(s.lake_path, points=len(specs), days=days, start=first, seed=seed,
                                    counts=adversary.parse_inject(inject), label_file=label_file,
                                    specs=adversary.specs_for(specs, np.random.default_rng(seed), links=limits.links))
    console.print(f"已写入 {len(specs)} 个监测点 {days} 天的分钟数据（{first} 起），注入 {len(labs)} 处违法，标注：{label_file}")


#: Subcommands of ``greensword demo`` (wired by the root CLI: the demo sits above the domains).
DEMO_COMMANDS = {"monitoring": demo_monitoring}


def register(app: typer.Typer) -> None:
    app.add_typer(offsite_app, name="offsite")
