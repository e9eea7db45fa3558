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
    cfg = alembic_config(url)
    _drop_covered_versions(cfg)
    command.upgrade(cfg, revision)


def _drop_covered_versions(cfg: Config) -> None:
    """Forget a recorded revision that another recorded one already includes. A migration that
    later became a merge point (0731_portal_figures now joins the portal chains) leaves databases
    migrated before the change listing both it and its new parent, which Alembic refuses as
    overlapping; the schema is the same, only the bookkeeping row is redundant."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from .db import make_engine

    script = ScriptDirectory.from_config(cfg)
    engine = make_engine(cfg.get_main_option("sqlalchemy.url").replace("%%", "%"))
    try:
        with engine.begin() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
            known = current & {s.revision for s in script.walk_revisions()}
            covered = {a.revision for r in known for a in script.iterate_revisions(r, "base")
                       if a.revision != r} & current
            for rev in covered:
                conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": rev})
    finally:
        engine.dispose()


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current_heads(url: str | None = None) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    from .db import make_engine

    engine = make_engine(url or get_settings().sqlalchemy_url)
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())

