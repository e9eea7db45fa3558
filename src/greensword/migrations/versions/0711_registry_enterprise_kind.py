"""registry: an index over enterprises by county and kind of firm (industry, key polluter,
positive list) — the portal's self-check completion counts a province's firms from it alone

Revision ID: 0711_registry_enterprise_kind
Revises: 0001_spine
"""

from alembic import op

revision = "0711_registry_enterprise_kind"
down_revision = "0001_spine"
branch_labels = ("registry_indexes",)
depends_on = None


def upgrade() -> None:
    op.create_index("ix_enterprise_agency_kind", "enterprise",
                    ["agency_id", "industry_code", "key_polluter", "positive_list"])


def downgrade() -> None:
    op.drop_index("ix_enterprise_agency_kind", table_name="enterprise")
