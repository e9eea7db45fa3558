"""greensword training ...: qualification reminders, question-bank statistics, exam time-outs."""

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from ..core.auth import Actor
from ..core.db import session_scope

app = typer.Typer(help="培训、考试、技能比武与装备")
console = Console()


@app.command("reminders")
def reminders_cmd(on: str = typer.Option("", help="日期 YYYY-MM-DD，默认今天")) -> None:
    """列出即将到期或已过期的执法证、无人机执照、法制审核资格。"""
    from ..core.timeutil import today
    from . import quals

    day = date.fromisoformat(on) if on else today()
    with session_scope() as s:
        rows = quals.reminders(s, Actor.system("cli"), day)
        t = Table("人员", "单位", "资格", "编号", "有效期至", "剩余天数")
        for r in rows:
            t.add_row(r.officer, r.agency, r.kind_name, r.number, r.expires_on.isoformat(), str(r.days_left))
        console.print(t)
        console.print(f"共 {len(rows)} 条提醒")


@app.command("bank")
def bank_cmd() -> None:
    """题库统计：每部法规/标准的题量与待核实题数。"""
    from . import bank

    t = Table("代码", "法规/标准", "题量", "待核实")
    total = 0
    for s in bank.summary():
        t.add_row(s["code"], s["title"], str(s["questions"]), str(s["unverified"]))
        total += s["questions"]
    console.print(t)
    console.print(f"合计 {total} 题")


@app.command("close-exam")
def close_exam(exam_id: int) -> None:
    """为已超时未交卷的答卷计分（仅计入截止前保存的答案）。"""
    from . import exams

    with session_scope() as s:
        n = exams.close_overdue(s, Actor.system("cli"), exam_id)
    console.print(f"已为 {n} 份超时答卷计分")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="training")
