"""hj212: per-device protocol state

Revision ID: 0002_hj212
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

import greensword.core.db

revision = "0002_hj212"
down_revision = "0001_spine"
branch_labels = ("hj212",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hj212_device",
        sa.Column("mn", sa.String(length=24), nullable=False),
        sa.Column("tolerant", sa.Boolean(), nullable=False),
        sa.Column("sm4_key", sa.String(length=32), nullable=True),
        sa.Column("edition", sa.String(length=4), nullable=True),
        sa.Column("quirks", sa.JSON(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("last_seen_at", greensword.core.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("last_peer", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("mn", name=op.f("pk_hj212_device")),
    )


def downgrade() -> None:
    op.drop_table("hj212_device")
