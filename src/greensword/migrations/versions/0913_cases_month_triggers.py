"""cases: the per-month figures' triggers run a contribution only when a column it counts has
changed (one SQLite trigger per contribution with UPDATE OF … WHEN; PostgreSQL: a test per
contribution), so writes that change other columns (a case's stage, a draft saved) cost nothing
— the triggers of 0910_cases_month_figures replaced, the kept rows rebuilt from the records

Revision ID: 0913_cases_month_triggers
Revises: 0910_cases_month_figures
"""

from alembic import op

revision = "0913_cases_month_triggers"
down_revision = "0910_cases_month_figures"
branch_labels = None
depends_on = None

#: the SQLite triggers 0910_cases_month_figures created (one per source table and operation)
LEGACY = ["trg_penalty_case_month__penalty_case_ins", "trg_penalty_case_month__penalty_case_del", "trg_penalty_case_month__penalty_case_upd", ]


def upgrade() -> None:
    from greensword.cases.figures import SUMMARY
    from greensword.core.summary import install

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in LEGACY:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for summary in (SUMMARY,):
        install(bind, summary)


def downgrade() -> None:
    pass                # the triggers stay: they keep the same figures
