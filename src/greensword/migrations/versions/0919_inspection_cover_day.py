"""inspection: the firms routine checks covered are kept per Beijing *day* (inspection_cover_day)
instead of per month (inspection_cover): a period's distinct firms come from its days alone, with
no edge days read from the records (PostgreSQL read them slowly); same rows per firm and year

Revision ID: 0919_inspection_cover_day
Revises: 0914_inspection_month_triggers
"""

import sqlalchemy as sa
from alembic import op

revision = "0919_inspection_cover_day"
down_revision = "0914_inspection_month_triggers"
branch_labels = None
depends_on = None

#: the month table's triggers (0911 then 0914 named them; 0950 kept 0914's names)
OLD_SQLITE = [f"trg_inspection_cover__{t}{suffix}" for t in ("inspection_record", "inspection_task")
              for suffix in ("_ins", "_del", "_upd", "_0_ins", "_0_del", "_0_upd")]
OLD_PG = [("trg_inspection_cover__inspection_record", "inspection_record"),
          ("trg_inspection_cover__inspection_task", "inspection_task")]


def upgrade() -> None:
    from greensword.core.summary import install
    from greensword.inspection.figures import COVER

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in OLD_SQLITE:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name, table in OLD_PG:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP TABLE IF EXISTS inspection_cover_delta")
    op.execute("DROP INDEX IF EXISTS ix_inspection_cover_firm")
    op.execute("DROP TABLE IF EXISTS inspection_cover")
    op.create_table(
        "inspection_cover_day",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "agency_id", "enterprise_id", name=op.f("pk_inspection_cover_day")),
    )
    install(bind, COVER)                       # the delta table, the triggers, the rows from the records


def downgrade() -> None:
    from greensword.core.summary import uninstall
    from greensword.inspection.figures import COVER

    uninstall(op.get_bind(), COVER)
    op.drop_table("inspection_cover_day")
