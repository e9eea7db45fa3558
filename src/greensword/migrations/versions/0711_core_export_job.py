"""core: export jobs (a long list export written in the background, its progress shared by every
worker process)

Revision ID: 0711_core_export_job
Revises: 0701_core_data_head
"""

import sqlalchemy as sa
from alembic import op

from greensword.core.db import TZDateTime

revision = "0711_core_export_job"
down_revision = "0701_core_data_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("fmt", sa.String(length=8), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", TZDateTime(), nullable=False),
        sa.Column("updated_at", TZDateTime(), nullable=False),
        sa.Column("finished_at", TZDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_export_job_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
        sa.UniqueConstraint("token", name=op.f("uq_export_job_token")),
    )
    op.create_index(op.f("ix_export_job_user_id"), "export_job", ["user_id"])
    op.create_index(op.f("ix_export_job_created_at"), "export_job", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_export_job_created_at"), table_name="export_job")
    op.drop_index(op.f("ix_export_job_user_id"), table_name="export_job")
    op.drop_table("export_job")
