"""The PostgreSQL planner settings every app session starts with (config POSTGRES_SETTINGS)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.db_setup import postgres_connect_args


def test_settings_become_startup_options():
    assert postgres_connect_args("random_page_cost=1.1 jit=off") == {"options": "-c random_page_cost=1.1 -c jit=off"}
    assert postgres_connect_args("  ") == {}


@pytest.mark.parametrize("bad", ["jit", "jit=off;drop", "-c x=1", "work_mem=64 MB", "a=b'"])
def test_anything_but_name_value_pairs_is_refused(bad):
    with pytest.raises(RuntimeError, match="is not name=value"):
        postgres_connect_args(bad)


@pytest.mark.postgres
def test_every_pooled_session_has_the_settings(database_url, make_app):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL pointing at PostgreSQL")
    app = make_app(POSTGRES_SETTINGS="random_page_cost=1.3 jit=off")
    with app.app_context():
        # A rolled-back transaction must not undo them (they are not a SET inside it).
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
        assert db.session.scalar(sa.text("SHOW random_page_cost")) == "1.3"
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
        db.session.remove()
        db.engine.dispose()
    with make_app(POSTGRES_SETTINGS="").app_context():
        assert db.session.scalar(sa.text("SHOW random_page_cost")) != "1.3"  # the server's own value
