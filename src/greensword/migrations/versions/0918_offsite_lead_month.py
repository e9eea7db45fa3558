"""offsite: leads created per (Beijing month, agency) kept by triggers on offsite_lead
(offsite.figures), filled from the existing leads — the statistics read whole months from it

Revision ID: 0918_offsite_lead_month
Revises: 0940_offsite_lead_task_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0918_offsite_lead_month"
down_revision = "0940_offsite_lead_task_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.offsite.figures import MONTH

    op.create_table(
        "offsite_lead_month",
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("ym", "agency_id", name=op.f("pk_offsite_lead_month")),
    )
    install(op.get_bind(), MONTH)              # the delta table, the triggers, the rows from the leads


def downgrade() -> None:
    from greensword.core.summary import uninstall
    from greensword.offsite.figures import MONTH

    uninstall(op.get_bind(), MONTH)
    op.drop_table("offsite_lead_month")
