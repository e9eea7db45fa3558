"""complaint CLI: statistics per unit."""

from datetime import date

import typer

from ..core.auth import Actor
from ..core.db import session_scope


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="信访投诉")
    app.add_typer(sub, name="complaint")

    @sub.command("stats")
    def stats(year: int = typer.Option(date.today().year, help="年度")) -> None:
        """按单位输出信访投诉统计。"""
        from . import service

        with session_scope() as s:
            for r in service.statistics(s, Actor.system(), year=year):
                typer.echo(f"{r['agency']}\t收件 {r['received']}\t受理 {r['accepted']}\t按期答复 {r['replied_on_time']}"
                           f"/{r['replied']}\t查实 {r['substantiated']}")
