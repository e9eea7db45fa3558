"""Alembic glue. Migrations ship inside the package (greensword/migrations) so that
``greensword db upgrade`` works from any directory and from an installed wheel.

Each domain owns an Alembic *branch* (``branch_labels=("<domain>",)``) rooted on the spine's
revision, so domains add migrations independently; upgrades go to ``heads``.
"""

from importlib import resources

from alembic import command
from alembic.config import Config

from ..settings import get_settings


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("greensword") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().sqlalchemy_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_heads(url: str | None = None) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    from .db import make_engine

    engine = make_engine(url or get_settings().sqlalchemy_url)
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())

