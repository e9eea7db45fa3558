"""``greensword`` command line. Subcommands delegate to domain services; each domain in
greensword.DOMAINS may provide ``cli.register(app)`` to add its own commands."""

import importlib
import importlib.util
import sys
from typing import Annotated

import typer
from rich.console import Console

from . import DOMAINS
from .core.errors import DomainError

app = typer.Typer(help="绿剑 GreenSword 生态环境执法平台", no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="数据库迁移", no_args_is_help=True)
audit_app = typer.Typer(help="审计链", no_args_is_help=True)
user_app = typer.Typer(help="用户与令牌", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Apply migrations (SQLite under ./var by default, or GREENSWORD_DATABASE_URL)."""
    from .core.migrate import upgrade
    from .settings import get_settings

    upgrade(revision=revision)
    url = get_settings().sqlalchemy_url
    console.print(f"数据库已迁移到最新版本：{url.split('@')[-1]}")


@db_app.command("is-empty")
def db_is_empty() -> None:
    """Exit 0 when the database holds no agencies yet (used by the run command)."""
    from sqlalchemy import func, select

    from .core.db import get_engine, session_scope
    from .registry.models import Agency

    with session_scope(get_engine()) as s:
        n = s.execute(select(func.count()).select_from(Agency)).scalar_one()
    raise typer.Exit(0 if n == 0 else 1)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; names the first edited, deleted or reordered entry."""
    from .core import audit
    from .core.db import session_scope

    with session_scope() as s:
        result = audit.verify(s)
    if result.ok:
        console.print(f"[green]{result.message()}[/green]")
        return
    err_console.print(f"[red]{result.message()}[/red]")
    raise typer.Exit(1)


@user_app.command("create")
def user_create(
    username: str,
    roles: Annotated[str, typer.Option(help="逗号分隔：officer,reviewer,leader,admin,evaluator,enterprise")],
    agency: Annotated[str | None, typer.Option(help="所属机构行政区划代码")] = None,
    enterprise: Annotated[str | None, typer.Option(help="企业统一社会信用代码（企业用户）")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
    name: str = "",
) -> None:
    """Create a login for an agency user or an enterprise user."""
    from .core.auth import create_user
    from .core.db import session_scope
    from .registry import service as registry

    with session_scope() as s:
        agency_id = enterprise_id = None
        if agency:
            a = registry.agency_by_code(s, agency)
            if a is None:
                raise DomainError(f"机构“{agency}”不存在", code="registry.agency_not_found")
            agency_id = a.id
        if enterprise:
            e = registry.enterprise_by_uscc(s, enterprise)
            if e is None:
                raise DomainError(f"企业“{enterprise}”未登记", code="registry.enterprise_not_found")
            enterprise_id = e.id
        create_user(s, "cli", username=username, password=password, roles=roles.split(","), display_name=name,
                    agency_id=agency_id, enterprise_id=enterprise_id)
    console.print(f"已创建用户 {username}")


@user_app.command("token")
def user_token(username: str, password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
               label: str = "cli", scope: str = "read", days: int | None = None) -> None:
    """Issue an API bearer token (printed once): scope read|write, expires after --days."""
    from datetime import timedelta

    from .core.auth import login
    from .core.db import session_scope

    with session_scope() as s:
        secret, _ = login(s, username, password, kind="api", label=label, scope=scope,
                          ttl=timedelta(days=days) if days else None)
    console.print(secret)


@app.command("serve")
def serve(host: str | None = None, port: int | None = None,
          workers: Annotated[int | None, typer.Option(help="Web工作进程数，默认每个CPU核一个（GREENSWORD_WORKERS）")] = None,
          ) -> None:
    """Serve the web console and API in several worker processes (and the HJ 212 gateway, once,
    in this process, when that domain provides one)."""
    import uvicorn

    from .settings import get_settings

    s = get_settings()
    n = workers if workers and workers > 0 else s.worker_count
    stop = None
    if importlib.util.find_spec("greensword.hj212.gateway") is not None:
        gateway = importlib.import_module("greensword.hj212.gateway")
        if hasattr(gateway, "start_in_thread"):
            stop = gateway.start_in_thread(s)
            console.print(f"HJ 212 数据网关：tcp://{s.gateway_host}:{s.gateway_port}")
            if s.demo_feed:                 # the demo's points upload through the gateway each minute
                stop = _with_demo_feed(stop, s)
    console.print(f"Web 控制台：{n} 个工作进程")
    try:
        # an import string and a factory: each worker process builds its own app and engine
        uvicorn.run("greensword.web.app:create_app", factory=True, host=host or s.host, port=port or s.port,
                    workers=n, log_level="info", timeout_keep_alive=s.keep_alive_s)
    finally:
        if stop is not None:
            stop()


def _with_demo_feed(stop_gateway, settings):
    halt = importlib.import_module("greensword.hj212.feed").start_in_thread(settings)
    console.print("演示数据：各监测点每分钟经网关上传数据（GREENSWORD_DEMO_FEED）")

    def stop() -> None:
        halt()
        stop_gateway()
    return stop


def _register_domains() -> None:
    from .demo import cli as demo_cli

    demo_cli.register(app)
    for domain in DOMAINS:
        name = f"greensword.{domain}.cli"
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            module.register(app)
            # `greensword demo <name>` commands a domain offers (the demo sits above every domain,
            # so it is wired here rather than imported by the domain)
            for command, func in getattr(module, "DEMO_COMMANDS", {}).items():
                demo_cli.demo_app.command(command)(func)


_register_domains()


def main() -> None:
    try:
        # without standalone mode click returns (not raises) the code of a typer.Exit
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except DomainError as exc:
        err_console.print(f"错误[{exc.code}]：{exc.message}", style="red", markup=False)
        for d in exc.details or []:
            if isinstance(d, dict):
                err_console.print("  " + "，".join(f"{k}={v}" for k, v in d.items()), markup=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("已取消")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive here with standalone_mode=False
        import click

        # typer ≥ 0.29 raises its own copy of click's exceptions (typer._click), not click's
        if isinstance(exc, click.ClickException) or _is_click_exception(exc):
            exc.show()
            sys.exit(exc.exit_code)
        raise


def _is_click_exception(exc: Exception) -> bool:
    return any(c.__name__ == "ClickException" and c.__module__.endswith("_click.exceptions")
               for c in type(exc).__mro__)


if __name__ == "__main__":
    main()
