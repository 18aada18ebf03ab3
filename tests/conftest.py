"""Fixtures: a migrated database per session, emptied after every test; apps, clients, users.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

import os
import socket

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from config import TestConfig, normalise_database_url
from tests import factories
from tests.factories import PASSWORD


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _worker_database(url, worker) if worker else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _worker_database(url: str, worker: str) -> str:
    """With pytest-xdist each worker gets its own PostgreSQL database (`<name>_gw0`, ...),
    created beside the given one if missing: workers must not empty each other's tables."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def reset_schema(engine: sa.Engine) -> None:
    """Drop everything in the test database so migrations start from empty."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The test database, upgraded from empty by the real migrations once per session."""
    url = _database_url(tmp_path_factory)
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        db.engine.dispose()
    return url


# Every sequence of the test schema back to 1, as TRUNCATE ... RESTART IDENTITY would do.
_RESTART_SEQUENCES = sa.text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
)


def empty_tables() -> None:
    """Delete every row, children first, and restart the id sequences.

    DELETE rather than TRUNCATE on PostgreSQL too: TRUNCATE gives each of the ~30 tables new
    files, which cost ~850 ms per test here against ~20 ms for deleting the few rows a test writes
    (the PostgreSQL pass spent most of its time emptying tables).
    """
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for name in tables:
            conn.execute(sa.text(f"DELETE FROM {name}"))
        if db.engine.dialect.name == "postgresql":
            conn.execute(_RESTART_SEQUENCES)


class BufferedClient(FlaskClient):
    """Reads every response whole, so streamed downloads (CSV) finish inside the request."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


def _forget_cached_user() -> None:
    g.pop("_login_user", None)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database with extra config; tables are emptied afterwards."""
    apps = []

    def build(**overrides):
        # Each test stores attachments and .eml files in its own temp folder.
        config = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": tmp_path / "uploads",
            "MAIL_FILE_DIR": tmp_path / "mail",
            "AUDIT_CHECKPOINT_FILE": tmp_path / "audit-checkpoints.jsonl",
            **overrides,
        }
        app = create_app(TestConfig, config)
        # Tests keep an app context open, and Flask reuses it for every request made in the
        # test, so Flask-Login's cached `g._login_user` would leak from one client to the
        # next. Real requests each get a fresh context; forget the cached user per request.
        app.before_request(_forget_cached_user)
        app.test_client_class = BufferedClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    def make(roles=("sales",), username=None, **kwargs):
        return factories.make_user(roles=roles, username=username, password=PASSWORD, **kwargs)

    return make


@pytest.fixture
def login_as(app, make_user):
    """login_as("sales") -> (test client signed in as a new sales user); roles may be a tuple."""

    def login(roles, username=None):
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        user = make_user(roles=roles, username=username)
        client = app.test_client()
        response = factories.sign_in(client, user.username)
        assert response.status_code == 302, "test login failed"
        client.user = user
        return client

    return login


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port; `.messages` are what it accepted."""
    from tests.smtp import SmtpServer

    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(make_app, smtp_server, tmp_path):
    """An app that sends its alert mail to the local SMTP server."""
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_FILE_DIR=tmp_path / "mail")
    with app.app_context():
        yield app
