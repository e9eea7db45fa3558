"""cases: per (month, agency) case figures kept by triggers on penalty_case (cases.figures), filled
from the existing cases — the statistics read whole months from it (national data set: a period's
figures computed for the first time in well under a second)

Revision ID: 0910_cases_month_figures
Revises: 0731_cases_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0910_cases_month_figures"
down_revision = "0731_cases_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from greensword.cases.figures import COLUMNS, SUMMARY
    from greensword.core.summary import install

    op.create_table(
        "penalty_case_month",
        sa.Column("ym", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        *[sa.Column(c, sa.BigInteger() if c in ("fines_yuan", "offset_yuan") else sa.Integer(), nullable=False,
                    server_default="0") for c in COLUMNS],
        sa.PrimaryKeyConstraint("ym", "agency_id", name=op.f("pk_penalty_case_month")),
    )
    install(op.get_bind(), SUMMARY)


def downgrade() -> None:
    from greensword.cases.figures import SUMMARY
    from greensword.core.summary import uninstall

    uninstall(op.get_bind(), SUMMARY)
    op.drop_table("penalty_case_month")
