"""Migrations build the whole schema from an empty database, on SQLite and PostgreSQL,
and match the models exactly (no change left out of a migration)."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from config import TestConfig, normalise_database_url


@pytest.fixture
def empty_database(tmp_path):
    """A brand-new empty database of the engine under test."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server_url = sa.make_url(normalise_database_url(server))
    name = f"lotline_migtest_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_matches_models(empty_database):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_database):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "complaints" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
