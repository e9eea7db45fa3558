"""cases: 令30 procedure — pause intervals, payments, recusals, study answers, procedure columns

Revision ID: 0104_cases_procedure
Revises: 0004_cases
"""
import sqlalchemy as sa
from alembic import op

from greensword.core.db import TZDateTime

revision = '0104_cases_procedure'
down_revision = '0004_cases'
branch_labels = None
depends_on = None

_COLUMNS = [
    sa.Column('summary', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('party_kind', sa.String(length=12), nullable=False, server_default='organisation'),
    sa.Column('offence_ended_on', sa.Date(), nullable=True),
    sa.Column('limitation_extended', sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column('hearing_noticed_on', sa.Date(), nullable=True),
    sa.Column('hearing_chair', sa.String(length=64), nullable=True),
    sa.Column('legal_reviewed_on', sa.Date(), nullable=True),
    sa.Column('discussed_on', sa.Date(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('extensions', sa.JSON(), nullable=True),
    sa.Column('payment_plan', sa.JSON(), nullable=True),
    sa.Column('appeals', sa.JSON(), nullable=True),
]


def upgrade() -> None:
    with op.batch_alter_table('penalty_case') as batch:
        for col in _COLUMNS:
            batch.add_column(col._copy())
    op.create_table(
        'penalty_case_pause',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('document', sa.String(length=200), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('created_at', TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['penalty_case.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_penalty_case_pause_case_id', 'penalty_case_pause', ['case_id'])
    op.create_table(
        'penalty_case_payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('receipt', sa.String(length=64), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('created_at', TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['penalty_case.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_penalty_case_payment_case_id', 'penalty_case_payment', ['case_id'])
    op.create_table(
        'penalty_case_recusal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('person', sa.String(length=64), nullable=False),
        sa.Column('applicant', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('applied_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=False),
        sa.Column('created_at', TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['penalty_case.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_penalty_case_recusal_case_id', 'penalty_case_recusal', ['case_id'])
    op.create_table(
        'study_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=40), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('at', TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('enterprise_id', 'question'))
    op.create_index('ix_study_answer_enterprise_id', 'study_answer', ['enterprise_id'])


def downgrade() -> None:
    op.drop_index('ix_study_answer_enterprise_id', table_name='study_answer')
    op.drop_table('study_answer')
    for t in ('penalty_case_recusal', 'penalty_case_payment', 'penalty_case_pause'):
        op.drop_index(f'ix_{t}_case_id', table_name=t)
        op.drop_table(t)
    with op.batch_alter_table('penalty_case') as batch:
        for col in reversed(_COLUMNS):
            batch.drop_column(col.name)
