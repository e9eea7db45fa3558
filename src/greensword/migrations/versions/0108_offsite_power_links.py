"""offsite: power meters linked to the emission points they explain (registry power_link)

Revision ID: 0108_offsite_power_links
Revises: 0107_offsite_arch_lead_task
Create Date: 2026-11-25 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import greensword.core.db

revision = '0108_offsite_power_links'
down_revision = '0107_offsite_arch_lead_task'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('power_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('factor_code', sa.String(length=10), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', greensword.core.db.TZDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['monitoring_point.id'], name=op.f('fk_power_link_meter_id_monitoring_point'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['monitoring_point.id'], name=op.f('fk_power_link_point_id_monitoring_point'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_power_link')),
    sa.UniqueConstraint('point_id', 'meter_id', 'factor_code', name=op.f('uq_power_link_point_id_meter_id_factor_code'))
    )
    with op.batch_alter_table('power_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_power_link_meter_id'), ['meter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_power_link_point_id'), ['point_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('power_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_power_link_point_id'))
        batch_op.drop_index(batch_op.f('ix_power_link_meter_id'))
    op.drop_table('power_link')
