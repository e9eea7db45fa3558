"""Migrations build the schema on a fresh database (SQLite, and PostgreSQL in the db job), and the
migrated schema matches the models (no table or column a migration forgot)."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from greensword.core.db import Base, load_all_models, make_engine
from greensword.core.migrate import current_heads, upgrade
from tests.conftest import PG_URL

pytestmark = pytest.mark.db


@pytest.fixture
def fresh_url(tmp_path, request):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"gs_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    make_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_heads_matches_models(fresh_url):
    from alembic.script import ScriptDirectory

    from greensword.core.migrate import alembic_config

    upgrade(fresh_url)
    heads = set(ScriptDirectory.from_config(alembic_config(fresh_url)).get_heads())
    assert current_heads(fresh_url) == heads
    load_all_models()
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(ctx, Base.metadata)
                if not (isinstance(d, tuple) and d[0] in ("add_index", "remove_index"))]
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_is_idempotent(fresh_url):
    upgrade(fresh_url)
    upgrade(fresh_url)
    assert current_heads(fresh_url)


def test_a_database_listing_a_revision_its_merge_point_includes_still_upgrades(fresh_url):
    """0731_portal_figures became the merge of the portal chains after databases had recorded it
    beside 0501_portal; Alembic refuses such overlapping rows, the upgrade drops the covered one."""
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0501_portal')"))
    upgrade(fresh_url)
    from alembic.script import ScriptDirectory

    from greensword.core.migrate import alembic_config

    heads = current_heads(fresh_url)
    assert "0501_portal" not in heads
    assert heads == set(ScriptDirectory.from_config(alembic_config(fresh_url)).get_heads())     # the portal chain's head too
    engine.dispose()
