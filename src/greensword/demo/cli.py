"""``greensword demo``: generate the demo province; a domain's cli module offers subcommands in
``DEMO_COMMANDS`` (e.g. ``greensword demo monitoring``), which the root CLI adds to ``demo_app``."""

import importlib
import importlib.util
import time
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import DOMAINS
from .context import SCALES, DemoContext

demo_app = typer.Typer(help="生成演示省份数据（确定性、可复现）", invoke_without_command=True)
console = Console()


def run_demo(session, *, scale: str, seed: int, today: date, progress: Progress | None = None) -> DemoContext:
    """Registry first, then each domain's demo stage in data-flow order, in one transaction. The
    rules files are read once for the whole build (``rules.held``), not checked on every step, the
    audit entries are written in batches (``audit.batched``: same entries, same order), and on
    SQLite the build holds the write lock from its start, so the services' row locks need not
    read each record again (``locks.exclusive``); the documents it stores are synced to disk
    together at its end, before the commit, not one by one (``storage.synced_at_end``); what each
    stage leaves alive is frozen out of the garbage collector's later full passes
    (``heap.stepwise``)."""
    from ..core import audit, heap, locks, rules, storage, summary
    from .province import generate_registry

    ctx = DemoContext(seed=seed, scale=scale, today=today, progress=progress)
    with (rules.held(), audit.batched(session), locks.exclusive(session), storage.synced_at_end(),
          heap.stepwise() as settle):
        with ctx.timed("registry"):
            generate_registry(session, ctx)
        settle()
        for domain in DOMAINS:
            name = f"greensword.{domain}.demo"
            if domain != "registry" and importlib.util.find_spec(name) is not None:
                with ctx.timed(domain):
                    importlib.import_module(name).generate(session, ctx)
                    session.flush()
                settle()
        summary.fold_all(session)            # the build's summary deltas into the kept rows
    return ctx


@demo_app.callback()
def demo(
    typer_ctx: typer.Context,
    scale: Annotated[str, typer.Option(help="small（测试用，数秒）、province（约2万家企业）或 national"
                                            "（全国：31个省、约30万家企业、每年约10万件案件，批量写入）")] = "province",
    fraction: Annotated[float, typer.Option(help="仅用于 national：按比例缩小数据量（0–1，1 为全国规模）")] = 1.0,
    seed: Annotated[int, typer.Option(help="随机种子：同一种子生成完全相同的数据")] = 2026,
    today: Annotated[str | None, typer.Option(help="演示数据的“今天”（YYYY-MM-DD），默认今天")] = None,
) -> None:
    """Generate the demo province into an empty database."""
    if typer_ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import func, select

    from ..core.db import session_scope
    from ..core.errors import Conflict, ValidationFailed
    from ..core.timeutil import today as today_fn
    from ..registry.models import Agency

    if scale not in SCALES and scale != "national":
        raise ValidationFailed(f"未知规模“{scale}”，应为：{'、'.join([*SCALES, 'national'])}", code="demo.scale")
    day = date.fromisoformat(today) if today else today_fn()
    started = time.perf_counter()
    with session_scope() as s:
        if s.execute(select(func.count()).select_from(Agency)).scalar_one():
            raise Conflict("数据库中已有数据，演示数据只能生成到空数据库", code="demo.not_empty")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        if scale == "national":
            from .national import build

            def report(table: str, n: int) -> None:
                console.print(f"{time.perf_counter() - started:7.1f} 秒  {table}：{n:,} 行")

            rows = build(s, seed=seed, today=day, fraction=fraction, progress=report)
            console.print(f"{time.perf_counter() - started:7.1f} 秒  提交中（共 {sum(rows.values()):,} 行）")
            timings = None
        else:
            with Progress(*columns, console=console, transient=False) as progress:
                timings = run_demo(s, scale=scale, seed=seed, today=day, progress=progress).timings
        committing = time.perf_counter()
    if timings is not None:
        console.print("各阶段用时（秒，墙钟 / CPU）：" + "，".join(
            f"{name} {wall:.1f}/{cpu:.1f}" for name, wall, cpu in timings)
            + f"，提交 {time.perf_counter() - committing:.1f}", soft_wrap=True)
    if scale == "national":
        from ..core.db import get_engine

        engine = get_engine()
        if engine.dialect.name == "postgresql":     # visibility map and statistics for index-only scans
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            console.print(f"{time.perf_counter() - started:7.1f} 秒  VACUUM ANALYZE 完成")
    console.print(f"演示数据已生成（规模 {scale}，种子 {seed}），用时 {time.perf_counter() - started:.1f} 秒")


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")
