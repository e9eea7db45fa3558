"""``greensword inspect plan|draw|publish|stats``."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)
inspect_app = typer.Typer(help="双随机检查：计划、抽取、复算验证、结果公开", no_args_is_help=True)
plan_app = typer.Typer(help="抽查计划", no_args_is_help=True)
draw_app = typer.Typer(help="抽取与复算验证", no_args_is_help=True)
inspect_app.add_typer(plan_app, name="plan")
inspect_app.add_typer(draw_app, name="draw")


def _system():
    from ..core.auth import Actor

    return Actor.system("cli")


@plan_app.command("create")
def plan_create(agency: Annotated[str, typer.Option(help="县级机构行政区划代码")], name: str,
                start: Annotated[str, typer.Option(help="YYYY-MM-DD")], end: Annotated[str, typer.Option(help="YYYY-MM-DD")],
                teams: int = 2, mode: str = "routine") -> None:
    """Create a plan with the rules file's strata and ratios."""
    from sqlalchemy import select

    from ..core.db import session_scope
    from ..core.errors import NotFound
    from ..registry.models import Agency
    from . import service

    with session_scope() as s:
        a = s.execute(select(Agency).where(Agency.division_code == agency)).scalar_one_or_none()
        if a is None:
            raise NotFound(f"机构 {agency} 不存在", code="inspection.agency_not_found")
        p = service.create_plan(s, _system(), agency_id=a.id, name=name, period_start=date.fromisoformat(start),
                                period_end=date.fromisoformat(end), teams=teams, mode=mode)
        console.print(f"已创建抽查计划 {p.id}：{name}")


@draw_app.command("run")
def draw_run(plan: int, seed: Annotated[str, typer.Option(help="公开的随机种子")],
             reason: Annotated[str, typer.Option(help="重新抽取的理由")] = "") -> None:
    """Draw a plan (a second draw needs --reason)."""
    from ..core.db import session_scope
    from . import service

    with session_scope() as s:
        p = service.draw(s, _system(), plan, seed, reason=reason)
        console.print(f"计划 {p.id} 抽中 {len(p.result['items'])} 家企业，结果哈希 {p.result_hash}")


@draw_app.command("verify")
def draw_verify(plan: Annotated[int | None, typer.Argument(help="计划编号")] = None,
                all_: Annotated[bool, typer.Option("--all", help="验证全部已抽取计划")] = False) -> None:
    """Re-run draws from their published inputs; exit 1 if any does not match."""
    from sqlalchemy import select

    from ..core.db import session_scope
    from .models import Plan
    from .service import verify

    if plan is None and not all_:
        raise typer.BadParameter("请给出计划编号或 --all")
    bad = 0
    n = 0
    with session_scope() as s:
        plans = (s.execute(select(Plan).where(Plan.status == "drawn").order_by(Plan.id)).scalars()
                 if all_ else [s.get(Plan, plan)])
        for p in plans:
            if p is None:
                err.print(f"计划 {plan} 不存在")
                raise typer.Exit(1)
            v = verify(s, p)
            n += 1
            if not v.ok:
                bad += 1
                err.print(f"[red]✘ 计划 {p.id}：{v.message}[/red]", markup=True)
            elif not all_:
                console.print(f"[green]✔ 计划 {p.id}：{v.message}[/green]")
    if all_:
        console.print(f"验证 {n} 个计划：{n - bad} 个一致，{bad} 个不一致")
    if bad:
        raise typer.Exit(1)


@inspect_app.command("publish")
def publish(out: Path) -> None:
    """Write the public results (no personal data) as CSV."""
    import csv

    from ..core.db import session_scope
    from .service import published_results

    with session_scope() as s:
        rows = published_results(s)
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["企业名称", "统一社会信用代码", "检查机构", "抽查计划", "检查日期", "检查事项", "检查结果"])
        for r in rows:
            w.writerow([r["enterprise"], r["uscc"], r["agency"], r["plan_id"], r["checked_on"], r["matters"], r["result"]])
    console.print(f"已公开 {len(rows)} 条检查结果：{out}")


@inspect_app.command("stats")
def stats(year: int) -> None:
    """Plan completion, coverage, on-time upload and findings per county."""
    from ..core.db import session_scope
    from .service import statistics

    with session_scope() as s:
        rows = statistics(s, _system(), year=year)
    t = Table(title=f"{year} 年检查统计")
    for c in ("机构", "计划", "完成率", "覆盖率", "检查", "按时上传", "问题发现率"):
        t.add_column(c)

    def pct(v):
        return "—" if v is None else f"{v * 100:.1f}%"

    for r in rows:
        t.add_row(r["agency"], str(r["planned"]), pct(r["completion_rate"]), pct(r["coverage_rate"]),
                  str(r["inspections"]), pct(r["on_time_rate"]), pct(r["findings_per_inspection"]))
    console.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(inspect_app, name="inspect")
