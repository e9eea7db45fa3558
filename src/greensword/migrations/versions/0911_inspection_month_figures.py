"""inspection: per (month, agency) inspection figures and per (month, agency, enterprise) routine
coverage kept by triggers on inspection_record and inspection_task (inspection.figures), filled
from the existing records — the statistics read whole months from them

Revision ID: 0911_inspection_month_figures
Revises: 0731_inspection_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0911_inspection_month_figures"
down_revision = "0731_inspection_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.inspection.figures import COVER, MONTH, MONTH_COLUMNS

    op.create_table(
        "inspection_month",
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        *[sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in MONTH_COLUMNS],
        sa.PrimaryKeyConstraint("ym", "agency_id", name=op.f("pk_inspection_month")),
    )
    op.create_table(
        "inspection_cover",
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("ym", "agency_id", "enterprise_id", name=op.f("pk_inspection_cover")),
    )
    op.create_index("ix_inspection_cover_firm", "inspection_cover", ["enterprise_id", "ym", "agency_id", "records"])
    install(op.get_bind(), MONTH)
    install(op.get_bind(), COVER)


def downgrade() -> None:
    from greensword.core.summary import uninstall
    from greensword.inspection.figures import COVER, MONTH

    uninstall(op.get_bind(), COVER)
    uninstall(op.get_bind(), MONTH)
    op.drop_table("inspection_cover")
    op.drop_table("inspection_month")
