"""transfer CLI: statistics per unit as the annual reports count them (cases and persons)."""

from datetime import date

import typer

from ..core.auth import Actor
from ..core.db import session_scope


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="行刑衔接")
    app.add_typer(sub, name="transfer")

    @sub.command("stats")
    def stats(year: int = typer.Option(date.today().year, help="年度")) -> None:
        """按单位输出移送案件数和人数。"""
        from . import service

        with session_scope() as s:
            for r in service.statistics(s, Actor.system(), year=year):
                typer.echo(f"{r['agency']}\t涉嫌犯罪 {r['criminal']} 件 {r['criminal_persons']} 人\t"
                           f"行政拘留 {r['detention']} 件 {r['detention_persons']} 人\t不予立案 {r['refused']}")
