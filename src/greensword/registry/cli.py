"""``greensword registry import|export``."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
registry_app = typer.Typer(help="名录：机构、执法人员、企业、监测点（CSV / Excel 导入导出）", no_args_is_help=True)

ENTITY_HELP = "agencies | officers | enterprises | points"


def _admin():
    from ..core.auth import Actor

    return Actor.system("cli")


@registry_app.command("import")
def import_cmd(entity: Annotated[str, typer.Argument(help=ENTITY_HELP)], file: Path) -> None:
    """Import a CSV or .xlsx file all-or-nothing; on any bad row nothing is written."""
    from ..core.db import session_scope
    from ..core.errors import ValidationFailed
    from . import io as registry_io

    if not file.exists():
        raise ValidationFailed(f"文件“{file}”不存在", code="registry.import_missing")
    with session_scope() as s:
        result = registry_io.import_file(s, _admin(), entity, file.read_bytes(), file.name)
    console.print(result.message())


@registry_app.command("export")
def export_cmd(entity: Annotated[str, typer.Argument(help=ENTITY_HELP)], file: Path) -> None:
    """Export a directory to .csv or .xlsx (by the file's extension)."""
    from ..core.db import session_scope
    from . import io as registry_io

    with session_scope() as s:
        data = registry_io.export_file(s, _admin(), entity, file.name)
    file.write_bytes(data)
    console.print(f"已导出到 {file}")


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
