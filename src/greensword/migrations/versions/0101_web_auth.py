"""web: API token scope, last use (idle timeout), login throttling

Revision ID: 0101_web_auth
Revises: 0001_spine
"""

import sqlalchemy as sa
from alembic import op

import greensword.core.db

revision = "0101_web_auth"
down_revision = "0001_spine"
branch_labels = ("web",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=16), nullable=False, server_default="write"))
        batch_op.add_column(sa.Column("last_used_at", greensword.core.db.TZDateTime(timezone=True), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", greensword.core.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", greensword.core.db.TZDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("scope")
