"""Jinja2 templates (zh-CN) and the console navigation that domains register into."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Undefined

from ..core import cache
from ..core.numbers import fmt_num
from .listing import url_with

TEMPLATES_DIR = Path(__file__).parent.parent / "web" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@dataclass(frozen=True)
class NavItem:
    title: str
    href: str
    #: Roles that see the item; empty = every signed-in user.
    roles: tuple[str, ...] = ()
    order: int = 100


NAV: list[NavItem] = []


def add_nav(*items: NavItem) -> None:
    """Domains call this from their pages module to appear in the console navigation."""
    for item in items:
        if item not in NAV:
            NAV.append(item)
    NAV.sort(key=lambda i: (i.order, i.href))


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200):
    actor = getattr(request.state, "actor", None)
    nav = [n for n in NAV if actor is not None and (not n.roles or actor.has(*n.roles))]
    # The CSRF token is computed per request by web.security's middleware.
    db = getattr(request.state, "db", None)
    ctx = {"actor": actor, "nav": nav, "path": request.url.path,
           "csrf_token": getattr(request.state, "csrf_token", ""),
           "stale_since": cache.stale_since(db) if db is not None else None}
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def warm() -> int:
    """Compile every console template now (a server worker does it before its first request;
    a page's first rendering otherwise spends ≈50 ms per template compiling). Returns how many."""
    names = [n for n in templates.env.list_templates() if n.endswith(".html")]
    for name in names:
        templates.env.get_template(name)
    return len(names)


def _fmt_dt(value) -> str:
    if value is None:
        return ""
    from ..core.timeutil import aware

    return aware(value).strftime("%Y-%m-%d %H:%M")


def role_names(roles) -> str:
    """Role codes as people name them (officer → 执法人员), joined with 、."""
    from ..core.auth import ROLES

    return "、".join(ROLES.get(r, r) for r in (roles or []))


def fmt_number(value, digits: int = 2) -> str:
    """``num``: a value the data does not have (a field missing from stored evidence) shows as —
    instead of failing the page."""
    return fmt_num(None if isinstance(value, Undefined) else value, digits)


def fmt_money(value) -> str:
    """Money in 元, or in 万元 from ten thousand up (1,234 元; 91.56 万元)."""
    if value is None or value == "" or isinstance(value, Undefined):
        return "—"
    v = float(value)
    if abs(v) >= 10_000:
        return f"{fmt_num(v / 10_000, 2)} 万元"
    return f"{fmt_num(v, 2)} 元"


templates.env.filters["dt"] = _fmt_dt
templates.env.filters["role_names"] = role_names
templates.env.globals["url_with"] = url_with
#: more units than this in a list's unit filter and it becomes a search-as-you-type box (_list.html)
templates.env.globals["unit_select_max"] = 300
templates.env.filters["num"] = fmt_number
templates.env.filters["money"] = fmt_money
