"""offsite: index on offsite_lead.task_id — opening a case from an on-site check looks up the lead
the check came from (offsite.queries.lead_for_task), which scanned every lead

Revision ID: 0940_offsite_lead_task_index
Revises: 0731_offsite_figures
"""

from alembic import op

revision = "0940_offsite_lead_task_index"
down_revision = "0731_offsite_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_offsite_lead_task_id", "offsite_lead", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_offsite_lead_task_id", table_name="offsite_lead")
