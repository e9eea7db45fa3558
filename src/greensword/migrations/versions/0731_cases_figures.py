"""cases: covering indexes for the statistics (cases filed, decided and closed in a period per county: cases, cases from leads, decisions, fines, non-penalty decisions, offsets, withdrawals, supporting measures) — each figure's query reads its
period from an index that also holds the county and the columns it counts, instead of scanning the
wide rows (national data set: the statistics and ranking pages cold in < 2 s)

Revision ID: 0731_cases_figures
Revises: 0110_cases_lead
"""

from alembic import op

revision = "0731_cases_figures"
down_revision = "0110_cases_lead"
branch_labels = None
depends_on = None

INDEXES = {'penalty_case': {'ix_penalty_case_filed_figures': ['filed_on', 'agency_id', 'source', 'lead_id'], 'ix_penalty_case_decided_figures': ['decided_on', 'agency_id', 'outcome', 'fine', 'offset_yuan'], 'ix_penalty_case_closed_figures': ['closed_on', 'outcome', 'agency_id']}, 'penalty_case_measure': {'ix_penalty_case_measure_figures': ['started_on', 'kind', 'case_id']}}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
