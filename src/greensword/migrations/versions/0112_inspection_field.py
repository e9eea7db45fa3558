"""inspection: the on-site record's GPS position (lat, lon, accuracy, capture time) and save time

Revision ID: 0112_inspection_field
Revises: 0003_inspection
"""

import sqlalchemy as sa
from alembic import op

from greensword.core.db import TZDateTime

revision = '0112_inspection_field'
down_revision = '0003_inspection'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gps_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('gps_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('gps_accuracy_m', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('gps_captured_at', TZDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('saved_at', TZDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        for name in ('saved_at', 'gps_captured_at', 'gps_accuracy_m', 'gps_lon', 'gps_lat'):
            batch_op.drop_column(name)
