"""registry: enterprises not on the positive list per county, kept by triggers on enterprise
(registry.figures) and filled from the existing firms — the statistics' coverage denominator

Revision ID: 0912_registry_population
Revises: 0711_registry_enterprise_kind
"""

import sqlalchemy as sa
from alembic import op

revision = "0912_registry_population"
down_revision = "0711_registry_enterprise_kind"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.registry.figures import POPULATION

    op.create_table(
        "enterprise_population",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("enterprises", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_enterprise_population")),
    )
    install(op.get_bind(), POPULATION)


def downgrade() -> None:
    from greensword.core.summary import uninstall
    from greensword.registry.figures import POPULATION

    uninstall(op.get_bind(), POPULATION)
    op.drop_table("enterprise_population")
