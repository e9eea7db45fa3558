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
    # NOT NULL with a server default, so SQLite adds them in place (no table rebuild under the
    # existing foreign keys); the backfill below fills them from the old columns
    sa.Column('extensions', sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    sa.Column('payment_plan', sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    sa.Column('appeals', sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
]


def upgrade() -> None:
    for col in _COLUMNS:
        op.add_column('penalty_case', col._copy())
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
    _backfill()


def _backfill() -> None:
    """Existing cases keep their deadlines: the single extension becomes an approved extension,
    the counted-out days become one pause interval (hearing if one was held, else suspension),
    the single appeal record becomes the first entry of the appeals list."""
    from datetime import UTC, datetime, timedelta

    bind = op.get_bind()
    case = sa.table('penalty_case', sa.column('id', sa.Integer), sa.column('filed_on', sa.Date),
                    sa.column('hearing_on', sa.Date), sa.column('paused_days', sa.Integer),
                    sa.column('extension_days', sa.Integer), sa.column('appeal', sa.JSON),
                    sa.column('extensions', sa.JSON), sa.column('payment_plan', sa.JSON),
                    sa.column('appeals', sa.JSON))
    pause = sa.table('penalty_case_pause', sa.column('case_id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('started_on', sa.Date), sa.column('ended_on', sa.Date),
                     sa.column('document', sa.String), sa.column('by', sa.String),
                     sa.column('created_at', TZDateTime(timezone=True)))
    now = datetime.now(UTC)
    rows = bind.execute(sa.select(case.c.id, case.c.filed_on, case.c.hearing_on, case.c.paused_days,
                                  case.c.extension_days, case.c.appeal)).all()
    for cid, filed, heard, paused, ext, appeal in rows:
        extensions = [{"kind": "approved", "days": ext, "on": None, "reason": "迁移：原登记的延长", "record": ""}] \
            if ext else []
        appeals = []
        if appeal and appeal.get("kind"):
            on = appeal.get("on")
            appeals = [{"kind": appeal["kind"], "applied_on": on, "outcome": appeal.get("outcome", "pending"),
                        "decided_on": None if appeal.get("outcome", "pending") == "pending" else on}]
        bind.execute(case.update().where(case.c.id == cid).values(extensions=extensions, payment_plan={},
                                                                  appeals=appeals))
        if paused and filed:
            bind.execute(pause.insert().values(case_id=cid, kind="hearing" if heard else "suspension",
                                               started_on=filed, ended_on=filed + timedelta(days=paused),
                                               document="迁移：原登记的不计入办案期限天数", by="migration",
                                               created_at=now))


def downgrade() -> None:
    op.drop_index('ix_study_answer_enterprise_id', table_name='study_answer')
    op.drop_table('study_answer')
    for t in ('penalty_case_recusal', 'penalty_case_payment', 'penalty_case_pause'):
        op.drop_index(f'ix_{t}_case_id', table_name=t)
        op.drop_table(t)
    for col in reversed(_COLUMNS):
        op.drop_column('penalty_case', col.name)
