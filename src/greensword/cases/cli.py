"""``greensword cases list|show|overdue``: the case register from the command line (read only;
steps are taken in the console or through the API, where the officer signs in)."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
cases_app = typer.Typer(help="行政处罚案件：案件列表、案件详情、逾期环节", no_args_is_help=True)


def _system():
    from ..core.auth import Actor

    return Actor.system("cli")


@cases_app.command("list")
def list_cmd(stage: Annotated[str, typer.Option(help="办案阶段，如 filed、decided、closed")] = "",
             q: Annotated[str, typer.Option(help="企业名称或案件编号包含的文字")] = "",
             limit: int = 50) -> None:
    """Cases, newest discovery first."""
    from ..core.db import session_scope
    from . import service, workflow

    with session_scope() as s:
        rows = service.list_cases(s, _system(), stage=stage or None, q=q or None, limit=limit)
        t = Table("编号", "案件编号", "企业", "阶段", "发现日期", "罚款（元）")
        for c in rows:
            t.add_row(str(c.id), c.number, c.enterprise.name, workflow.STAGES.get(c.stage, c.stage),
                      c.discovered_on.isoformat(), "" if c.fine is None else f"{c.fine:,}")
        console.print(t)
        console.print(f"共 {len(rows)} 件")


@cases_app.command("show")
def show_cmd(case: Annotated[str, typer.Argument(help="案件编号（数字）或案件文号")]) -> None:
    """One case: its facts, its events and the legal deadlines still open."""
    from sqlalchemy import select

    from ..core.db import session_scope
    from ..core.errors import NotFound
    from ..core.timeutil import now
    from . import service, workflow
    from .models import Case

    with session_scope() as s:
        case_id = int(case) if case.isdigit() else s.execute(select(Case.id).where(Case.number == case)).scalar()
        if case_id is None:
            raise NotFound(f"案件 {case} 不存在", code="cases.not_found")
        c = service.get_case(s, _system(), case_id)
        console.print(f"[bold]{c.number}[/bold] {c.title}（{c.enterprise.name}）")
        console.print(f"阶段：{workflow.STAGES.get(c.stage, c.stage)}；来源：{service.SOURCES.get(c.source, c.source)} {c.source_ref}")
        if c.fine is not None:
            console.print(f"罚款：{c.fine:,} 元")
        t = Table("日期", "操作", "办理人", "阶段")
        for e in service.events(s, c):
            t.add_row(e.on.isoformat(), e.action, e.by, f"{e.from_stage or ''} → {e.to_stage or ''}")
        console.print(t)
        for d in service.open_dues(s, c, now().date()):
            console.print(f"待办：{d.label}，应于 {d.due} 前（{d.article}）")


@cases_app.command("overdue")
def overdue_cmd(limit: int = 50) -> None:
    """Legal steps past their deadline, across the province."""
    from ..core.db import session_scope
    from ..core.timeutil import now
    from . import service

    with session_scope() as s:
        rows = service.overdue(s, _system(), now().date(), limit=limit)
        for c, d in rows:
            console.print(f"{c.number} {c.enterprise.name}：{d.label}，应于 {d.due} 前")
        console.print(f"逾期环节 {len(rows)} 个")


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
