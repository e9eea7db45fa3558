"""oversight CLI: escalate overdue recommendations (a daily job) and print the year's results."""

from datetime import date

import typer

from ..core.auth import Actor
from ..core.db import session_scope


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="执法稽查")
    app.add_typer(sub, name="oversight")

    @sub.command("escalate")
    def escalate() -> None:
        """逾期未整改的稽查建议提级督办。"""
        from . import service

        with session_scope() as s:
            out = service.escalate(s, Actor.system("oversight"))
            typer.echo(f"提级督办 {len(out)} 条逾期整改建议")

    @sub.command("stats")
    def stats(year: int = typer.Option(date.today().year, help="年度")) -> None:
        """按被稽查单位输出稽查结果。"""
        from . import service

        with session_scope() as s:
            for r in service.statistics(s, Actor.system(), year=year):
                typer.echo(f"{r['agency']}\t需改进 {r['improvement']}\t需关注 {r['attention']}\t已销号 {r['closed']}"
                           f"\t逾期 {r['overdue']}")
