"""review: the reviewer's reason for each deducted item (first review and appeal review)

Revision ID: 0112_review_reasons
Revises: 0005_evaluation
"""

import sqlalchemy as sa
from alembic import op

revision = '0112_review_reasons'
down_revision = '0005_evaluation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reasons', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('second_reasons', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('review_file', schema=None) as batch_op:
        batch_op.drop_column('second_reasons')
        batch_op.drop_column('reasons')
