"""core: the head of the data-changing audit entries, the version cached figures are keyed to

Revision ID: 0701_core_data_head
Revises: 0601_core_rate_limit
"""

import sqlalchemy as sa
from alembic import op

revision = "0701_core_data_head"
down_revision = "0601_core_rate_limit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_head")),
    )


def downgrade() -> None:
    op.drop_table("data_head")
