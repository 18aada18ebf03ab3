"""/healthz: the bare route a reverse proxy polls (and the load bench's framework baseline)."""

import sqlalchemy as sa

from app.extensions import db


def test_healthz_answers_ok_without_sign_in_or_database(app, client):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/healthz")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.data == b"ok"
    assert response.mimetype == "text/plain"
    assert statements == []


def test_healthz_sets_no_session_cookie(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers


def test_healthz_is_the_same_for_a_signed_in_user(login_as):
    response = login_as("sales").get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok"
