"""inspection: the per-month figures' triggers run a contribution only when a column it counts has
changed (one SQLite trigger per contribution with UPDATE OF … WHEN; PostgreSQL: a test per
contribution), so writes that change other columns (a case's stage, a draft saved) cost nothing
— the triggers of 0911_inspection_month_figures replaced, the kept rows rebuilt from the records

Revision ID: 0914_inspection_month_triggers
Revises: 0911_inspection_month_figures
"""

from alembic import op

revision = "0914_inspection_month_triggers"
down_revision = "0911_inspection_month_figures"
branch_labels = None
depends_on = None

#: the SQLite triggers 0911_inspection_month_figures created (one per source table and operation)
LEGACY = ["trg_inspection_month__inspection_record_ins", "trg_inspection_month__inspection_record_del", "trg_inspection_month__inspection_record_upd", "trg_inspection_month__inspection_task_ins", "trg_inspection_month__inspection_task_del", "trg_inspection_month__inspection_task_upd", "trg_inspection_cover__inspection_record_ins", "trg_inspection_cover__inspection_record_del", "trg_inspection_cover__inspection_record_upd", "trg_inspection_cover__inspection_task_ins", "trg_inspection_cover__inspection_task_del", "trg_inspection_cover__inspection_task_upd", ]


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.inspection.figures import COVER, MONTH

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in LEGACY:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for summary in (MONTH, COVER,):
        install(bind, summary)


def downgrade() -> None:
    pass                # the triggers stay: they keep the same figures
