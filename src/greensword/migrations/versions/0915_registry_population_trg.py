"""registry: the per-month figures' triggers run a contribution only when a column it counts has
changed (one SQLite trigger per contribution with UPDATE OF … WHEN; PostgreSQL: a test per
contribution), so writes that change other columns (a case's stage, a draft saved) cost nothing
— the triggers of 0912_registry_population replaced, the kept rows rebuilt from the records

Revision ID: 0915_registry_population_trg
Revises: 0912_registry_population
"""

from alembic import op

revision = "0915_registry_population_trg"
down_revision = "0912_registry_population"
branch_labels = None
depends_on = None

#: the SQLite triggers 0912_registry_population created (one per source table and operation)
LEGACY = ["trg_enterprise_population__enterprise_ins", "trg_enterprise_population__enterprise_del", "trg_enterprise_population__enterprise_upd", ]


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.registry.figures import POPULATION

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in LEGACY:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for summary in (POPULATION,):
        install(bind, summary)


def downgrade() -> None:
    pass                # the triggers stay: they keep the same figures
