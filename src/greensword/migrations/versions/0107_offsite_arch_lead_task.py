"""offsite: the lead's task_id is a plain reference (the inspection domain owns lead → task)

Revision ID: 0107_offsite_arch_lead_task
Revises: 0006_offsite
Create Date: 2026-11-25 09:10:00
"""

from alembic import op

revision = "0107_offsite_arch_lead_task"
down_revision = "0006_offsite"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offsite_lead", schema=None) as batch_op:
        batch_op.drop_constraint("fk_offsite_lead_task_id_inspection_task", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("offsite_lead", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_offsite_lead_task_id_inspection_task", "inspection_task",
                                    ["task_id"], ["id"])
