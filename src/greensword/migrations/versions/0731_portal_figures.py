"""portal: covering indexes for the statistics (warnings sent, self-checks submitted and rectification items closed in a period per county) — each figure's query reads its
period from an index that also holds the county and the columns it counts, instead of scanning the
wide rows (national data set: the statistics and ranking pages cold in < 2 s)

Revision ID: 0731_portal_figures
Revises: 0501_portal, 0604_portal_study (merges the two portal chains: the tables are 0501's)
"""

from alembic import op

revision = "0731_portal_figures"
down_revision = ("0501_portal", "0604_portal_study")   # joins the portal chains: it indexes 0501's tables
branch_labels = None
depends_on = None

INDEXES = {'portal_warning': {'ix_portal_warning_figures': ['sent_at', 'agency_id', 'status', 'late', 'answered_at']}, 'portal_selfcheck': {'ix_portal_selfcheck_figures': ['submitted_at', 'agency_id']}, 'portal_rectification': {'ix_portal_rectification_figures': ['closed_at', 'agency_id']}}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
