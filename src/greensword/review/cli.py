"""``greensword review rounds|show|verify``: case-file review rounds from the command line."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)
review_app = typer.Typer(help="案卷评查：评查批次、结果、抽取复算验证", no_args_is_help=True)


@review_app.command("rounds")
def rounds_cmd() -> None:
    """Every round, newest first."""
    from ..core.db import session_scope
    from . import service

    with session_scope() as s:
        t = Table("批次", "名称", "期间", "案卷数", "公布日期")
        for r in service.list_rounds(s):
            t.add_row(str(r.id), r.name, f"{r.period_start} 至 {r.period_end}", str(len(service.round_files(s, r))),
                      r.published_on.isoformat() if r.published_on else "未公布")
        console.print(t)


@review_app.command("show")
def show_cmd(round_id: int) -> None:
    """A round's results per reviewed unit."""
    from ..core.db import session_scope
    from . import service

    with session_scope() as s:
        rnd = service.get_round(s, round_id)
        console.print(f"[bold]{rnd.name}[/bold]（种子 {rnd.seed}，结果哈希 {rnd.result_hash[:16]}…）")
        t = Table("被评查单位", "案卷数", "平均分", "合格", "否决")
        for r in service.unit_results(s, rnd):
            t.add_row(r["unit"], str(r["files"]), "" if r["average"] is None else f"{r['average']:.2f}",
                      str(r["passed"]), str(r["vetoed"]))
        console.print(t)


@review_app.command("verify")
def verify_cmd(round_id: Annotated[int | None, typer.Argument(help="批次编号；省略则验证全部")] = None) -> None:
    """Re-run the draw from the published inputs; exit 1 when a stored result differs."""
    from ..core.db import session_scope
    from . import service

    bad = []
    with session_scope() as s:
        rounds = [service.get_round(s, round_id)] if round_id is not None else service.list_rounds(s)
        for rnd in rounds:
            if service.verify_round(s, rnd):
                console.print(f"批次 {rnd.id}：复算一致")
            else:
                bad.append(rnd.id)
                err.print(f"批次 {rnd.id}：复算结果与存储的抽取结果不一致")
    console.print(f"验证 {len(rounds)} 个批次，{len(bad)} 个不一致")
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
