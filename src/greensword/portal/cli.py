"""portal CLI: the daily job that brings case orders and inspection findings into the firms'
rectification lists and escalates overdue items (flag + notifications to the firm and county)."""

from datetime import date

import typer

from ..core.db import session_scope


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="企业端（环保e企管）", no_args_is_help=True)
    app.add_typer(sub, name="portal")

    @sub.command("escalate")
    def escalate(on: str = typer.Option("", help="按此日期判断逾期 YYYY-MM-DD，默认今天")) -> None:
        """同步案件整改令与检查发现问题，逾期未销号的整改事项升级督办并通知企业和区县。"""
        from . import rectify

        day = date.fromisoformat(on) if on else None
        with session_scope() as s:
            created = rectify.sync_orders(s, "cli")
            out = rectify.escalate(s, "cli", day)
            typer.echo(f"新增整改事项 {created} 条；升级督办 {len(out)} 条逾期整改事项")
            for r in out:
                typer.echo(f"  {r.id}\t{r.enterprise.name}\t{r.title}\t期限 {r.due_on}")
