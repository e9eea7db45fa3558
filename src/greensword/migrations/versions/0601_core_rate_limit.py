"""core: shared rate-limit hits (every worker process and host counts the same requests)

Revision ID: 0601_core_rate_limit
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

revision = "0601_core_rate_limit"
down_revision = "0001_spine"
branch_labels = ("core_shared",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hit")),
    )
    op.create_index("ix_rate_limit_hit_key_expires", "rate_limit_hit", ["key", "expires"])
    op.create_index(op.f("ix_rate_limit_hit_expires"), "rate_limit_hit", ["expires"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_hit_expires"), table_name="rate_limit_hit")
    op.drop_index("ix_rate_limit_hit_key_expires", table_name="rate_limit_hit")
    op.drop_table("rate_limit_hit")
