"""cases: the off-site lead a case came from (lead_id), filled for cases already opened from a
lead's on-site check (lead.task_id = the record's task)

Revision ID: 0110_cases_lead
Revises: 0104_cases_procedure
"""
import sqlalchemy as sa
from alembic import op

revision = '0110_cases_lead'
down_revision = '0104_cases_procedure'
branch_labels = None
# the backfill reads offsite_lead
depends_on = '0107_offsite_arch_lead_task'


def upgrade() -> None:
    # plain ADD COLUMN / CREATE INDEX: SQLite changes the table in place (a batch rebuild would drop
    # penalty_case under the foreign keys that point at it)
    op.add_column('penalty_case', sa.Column('lead_id', sa.Integer(), nullable=True))
    op.create_index('ix_penalty_case_lead_id', 'penalty_case', ['lead_id'], unique=False)
    op.execute("UPDATE penalty_case SET lead_id = (SELECT MIN(l.id) FROM offsite_lead l "
               "JOIN inspection_record r ON r.task_id = l.task_id WHERE r.id = penalty_case.record_id) "
               "WHERE record_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index('ix_penalty_case_lead_id', table_name='penalty_case')
    op.drop_column('penalty_case', 'lead_id')
