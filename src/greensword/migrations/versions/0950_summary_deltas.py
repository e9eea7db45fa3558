"""summaries: triggers append to delta tables instead of adding to the kept rows (core.summary:
two writers of one county's month no longer wait for each other's summary row, which deadlocked
with the audit chain's head on PostgreSQL); databases that installed the kept tables with the
adding triggers get the delta tables, the new triggers and a rebuild

Revision ID: 0950_summary_deltas
Revises: 0910_cases_month_figures, 0911_inspection_month_figures, 0912_registry_population
"""

from alembic import op

revision = "0950_summary_deltas"
down_revision = ("0910_cases_month_figures", "0911_inspection_month_figures", "0912_registry_population")
branch_labels = None
depends_on = None


def _summaries():
    from greensword.cases.figures import SUMMARY
    from greensword.inspection.figures import COVER, MONTH
    from greensword.registry.figures import POPULATION

    return (SUMMARY, MONTH, COVER, POPULATION)


def upgrade() -> None:
    from greensword.core.summary import install

    for s in _summaries():
        install(op.get_bind(), s)        # delta table if missing, triggers recreated, rebuilt


def downgrade() -> None:
    pass                                  # the kept tables' own migrations drop the triggers and deltas
