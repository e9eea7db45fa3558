"""cases: supporting measures per (start day, kind, agency, case) kept by triggers on
penalty_case_measure and penalty_case (cases.figures.MEASURES), filled from the existing
measures — the statistics count the cases with each measure without reading the wide case rows

Revision ID: 0916_cases_measure_figures
Revises: 0913_cases_month_triggers
"""

import sqlalchemy as sa
from alembic import op

revision = "0916_cases_measure_figures"
down_revision = "0913_cases_month_triggers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from greensword.cases.figures import MEASURES
    from greensword.core.summary import install

    op.create_table(
        "penalty_case_measure_day",
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("started_on", "kind", "agency_id", "case_id", name=op.f("pk_penalty_case_measure_day")),
    )
    install(op.get_bind(), MEASURES)           # the delta table, the triggers, the rows from the measures


def downgrade() -> None:
    from greensword.cases.figures import MEASURES
    from greensword.core.summary import uninstall

    uninstall(op.get_bind(), MEASURES)
    op.drop_table("penalty_case_measure_day")
