"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
GREENSWORD_TEST_DATABASE_URL is set and the test is marked ``db``), a session, a small world built
through the public services, and a logged-in web client."""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from greensword.core.db import Base, load_all_models, make_engine, session_factory

PG_URL = os.environ.get("GREENSWORD_TEST_DATABASE_URL", "")

# Two cores shared by two xdist workers: wall-clock deadlines would make property tests flaky.
hypothesis_settings.register_profile("greensword", deadline=None, print_blob=True)
hypothesis_settings.load_profile("greensword")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own data dir (lake, evidence, rules overrides) and fresh settings."""
    from greensword.core import cache
    from greensword.settings import get_settings

    monkeypatch.setenv("GREENSWORD_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GREENSWORD_DATABASE_URL", raising=False)
    # figures are always fresh in tests, however loaded the machine (serving slow figures stale
    # while they are recomputed is tested on its own in tests/core/test_cache.py)
    monkeypatch.setenv("GREENSWORD_CACHE_STALE_AFTER_S", "1e9")
    monkeypatch.setenv("GREENSWORD_PREWARM_FIGURES", "0")   # tested on its own (tests/evaluation)
    get_settings.cache_clear()
    cache.wait_refreshed(60)
    cache.clear()                      # figures of another test's database are never served, even stale
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    from greensword.core.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_migrated():
    from greensword.core.migrate import upgrade

    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(PG_URL)
    return engine


@pytest.fixture
def engine(request, tmp_path, _sqlite_template):
    if PG_URL and request.node.get_closest_marker("db"):
        eng = request.getfixturevalue("_pg_migrated")
        yield eng
        load_all_models()
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return
    path = tmp_path / "test.db"
    shutil.copy(_sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine):
    session = session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def world(db):
    from tests.factories import build_world

    w = build_world(db)
    db.commit()
    return w


@pytest.fixture
def app(engine):
    from greensword.web.app import create_app

    return create_app(engine)


@pytest.fixture
def cli(engine, monkeypatch):
    """Run the ``greensword`` CLI in-process against the test database: ``cli("cases", "list")``
    returns click's Result (``exit_code``, ``output``, ``exception``)."""
    from typer.testing import CliRunner

    from greensword.cli import app
    from greensword.settings import get_settings

    monkeypatch.setenv("GREENSWORD_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def csrf_client(app, **kw):
    """A TestClient that behaves like the console's page script: it sends the CSRF token
    (derived from its cookies, see greensword.web.security) with every state-changing request."""
    from fastapi.testclient import TestClient

    from greensword.web import security

    class CsrfClient(TestClient):
        def request(self, method, url, *args, **kwargs):
            if method.upper() in security.UNSAFE and self.cookies.get(security.CSRF_COOKIE):
                headers = dict(kwargs.pop("headers", None) or {})
                if not any(k.lower() == security.CSRF_HEADER for k in headers):
                    headers[security.CSRF_HEADER] = security.csrf_token(
                        self.cookies.get(security.CSRF_COOKIE), self.cookies.get(security.SESSION_COOKIE))
                kwargs["headers"] = headers
            return super().request(method, url, *args, **kwargs)

    return CsrfClient(app, **kw)


@pytest.fixture
def client(app):
    with csrf_client(app) as c:
        yield c


def login_as(client, username: str, password: str = "secret-pass-1") -> None:
    r = client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text

@pytest.fixture
def county(world, db):
    """A county for inspection and case tests: 330102 with 40 more enterprises (some key, some poor credit, some on the positive list) and
    4 more certified officers."""
    from greensword.registry import service as registry
    from greensword.registry.schemas import EnterpriseIn, OfficerIn
    from tests.factories import SYSTEM, make_uscc

    for i in range(40):
        e = registry.save_enterprise(db, SYSTEM, EnterpriseIn(
            uscc=make_uscc("330102", 100 + i), name=f"上城测试企业{i}", address=f"上城路{i}号", agency_code="330102",
            industry_code="C2614" if i % 3 else "D4411", key_polluter="water" if i % 5 == 0 else "",
            credit_class=["green", "blue", "yellow", "red"][i % 4], positive_list=i % 10 == 9))
        world.enterprises[f"330102-x{i}"] = e
    for i in range(4):
        world.officers[f"330102-extra{i}"] = registry.save_officer(db, SYSTEM, OfficerIn(
            name=f"执法员上城{i}", agency_code="330102", cert_no=f"ZJX330102{i:03d}"))
    db.commit()
    return world.agencies["330102"]
