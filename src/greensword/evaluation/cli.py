"""``greensword evaluation ranking|statistics``: rankings and the statistics report from the
command line (the same figures as the console)."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
evaluation_app = typer.Typer(help="统计与评估：排名、统计报表导出", no_args_is_help=True)


def _unit(s, code: str | None):
    from sqlalchemy import select

    from ..core.auth import Actor
    from ..core.errors import NotFound
    from ..registry.models import Agency
    from . import service

    agency_id = None
    if code:
        agency_id = s.execute(select(Agency.id).where(Agency.division_code == code)).scalar()
        if agency_id is None:
            raise NotFound(f"机构 {code} 不存在", code="evaluation.agency_not_found")
    return service.unit_for(s, Actor.system("cli"), agency_id)


@evaluation_app.command("ranking")
def ranking_cmd(year: Annotated[int | None, typer.Option(help="年度，默认今年")] = None,
                level: Annotated[str, typer.Option(help="county | city")] = "county") -> None:
    """Score and rank every unit of a level (ties share a rank)."""
    from ..core.db import session_scope
    from ..core.timeutil import now
    from . import service

    y = year or now().year
    with session_scope() as s:
        t = Table("名次", "单位", "得分", "评定")
        for c in service.evaluate(s, year=y, level=level):
            t.add_row(str(c.rank) + ("（并列）" if c.tied else ""), c.name, f"{c.total:.2f}",
                      "优秀" if c.outstanding else ("进步" if c.progress else ""))
        console.print(t)


@evaluation_app.command("statistics")
def statistics_cmd(agency: Annotated[str | None, typer.Option(help="机构行政区划代码，默认全省")] = None,
                   year: Annotated[int | None, typer.Option(help="年度，默认今年")] = None,
                   start: Annotated[str | None, typer.Option(help="起始日期 YYYY-MM-DD")] = None,
                   end: Annotated[str | None, typer.Option(help="截止日期 YYYY-MM-DD")] = None,
                   tag: Annotated[str, typer.Option(help="专项行动")] = "",
                   out: Annotated[Path | None, typer.Option(help="导出 Excel 报表到该文件")] = None) -> None:
    """The unit's figures with year-on-year change; --out writes the report to the level above."""
    from ..core.db import session_scope
    from . import service, statistics

    with session_scope() as s:
        unit = _unit(s, agency)
        f = service.period_filters(year, date.fromisoformat(start) if start else None,
                                   date.fromisoformat(end) if end else None, tag, "")
        if out:
            out.write_bytes(service.statistics_xlsx(s, unit, f))
            console.print(f"已导出 {unit.name} {f.start} 至 {f.end} 的统计报表：{out}")
            return
        row = statistics.report(s, unit, f)["unit"]
        t = Table("指标", "本期", "同比")
        for k, label in statistics.LABELS.items():
            v, chg = row[k], row["yoy"][k]
            t.add_row(label, "" if v is None else f"{v:g}", "" if chg is None else f"{chg:+.1%}")
        console.print(f"[bold]{unit.name}[/bold] {f.start} 至 {f.end}")
        console.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(evaluation_app, name="evaluation")
