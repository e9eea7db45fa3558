"""offsite: covering indexes for the statistics (leads created in a period per county) — each figure's query reads its
period from an index that also holds the county and the columns it counts, instead of scanning the
wide rows (national data set: the statistics and ranking pages cold in < 2 s)

Revision ID: 0731_offsite_figures
Revises: 0108_offsite_power_links
"""

from alembic import op

revision = "0731_offsite_figures"
down_revision = "0108_offsite_power_links"
branch_labels = None
depends_on = None

INDEXES = {'offsite_lead': {'ix_offsite_lead_figures': ['created_at', 'agency_id']}}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
