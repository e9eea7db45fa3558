"""complaint: index on complaint.task_id — opening a case from an on-site check looks up the
complaint the check came from (complaint.service.complaint_for_task), which scanned every complaint

Revision ID: 0941_complaint_task_index
Revises: 0201_complaint
"""

from alembic import op

revision = "0941_complaint_task_index"
down_revision = "0201_complaint"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_complaint_task_id", "complaint", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_task_id", table_name="complaint")
