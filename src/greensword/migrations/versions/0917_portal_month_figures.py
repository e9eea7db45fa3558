"""portal: per (Beijing month, agency) warnings, self-checks and closed rectification items kept by
triggers (portal.figures), filled from the existing rows — the statistics read whole months from it

Revision ID: 0917_portal_month_figures
Revises: 0731_portal_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0917_portal_month_figures"
down_revision = "0731_portal_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.portal.figures import COLUMNS, MONTH

    op.create_table(
        "portal_month",
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COLUMNS],
        sa.PrimaryKeyConstraint("ym", "agency_id", name=op.f("pk_portal_month")),
    )
    install(op.get_bind(), MONTH)              # the delta table, the triggers, the rows from the records


def downgrade() -> None:
    from greensword.core.summary import uninstall
    from greensword.portal.figures import MONTH

    uninstall(op.get_bind(), MONTH)
    op.drop_table("portal_month")
