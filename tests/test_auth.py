"""Signing in and out, session safety, configuration safety."""

import secrets

import pytest

from app import create_app
from config import ProdConfig
from tests.factories import PASSWORD, sign_in


def test_login_success_redirects_home(client, make_user):
    user = make_user(("production",))
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    assert b"Complaints to triage" in client.get("/home").data


@pytest.mark.parametrize("username, password", [("nobody", PASSWORD), ("known", "wrong-password")])
def test_failed_login_has_one_generic_message(client, make_user, username, password):
    make_user(("sales",), username="known")
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 200
    assert b"Invalid username or password." in response.data
    assert client.get("/home").status_code == 302  # still signed out


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user(("sales",), username="gone")
    user.active = False
    from app.extensions import db

    db.session.commit()
    response = sign_in(client, "gone")
    assert b"Invalid username or password." in response.data


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/complaints/", "/complaints/"),
        ("https://evil.example/phish", "/home"),
        ("//evil.example/phish", "/home"),
        ("/\\evil.example", "/home"),
        ("javascript:alert(1)", "/home"),
    ],
)
def test_next_only_to_local_paths(client, make_user, target, expected):
    user = make_user(("sales",))
    response = client.post(
        "/auth/login", query_string={"next": target}, data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/complaints/")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]


def test_logout_is_post_only(login_as):
    client = login_as("sales")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/home").status_code == 302


def test_login_is_throttled(make_app, make_user):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        make_user(("sales",), username="target")
        client = app.test_client()
        codes = [
            client.post("/auth/login", data={"username": "target", "password": "nope"}).status_code for _ in range(4)
        ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429


def test_csrf_is_enforced_when_enabled(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user(("sales",), username="csrf")
        client = app.test_client()
        response = client.post("/auth/login", data={"username": "csrf", "password": PASSWORD})
    assert response.status_code == 400
    assert b"form expired" in response.data


def test_session_cookie_flags(client, make_user):
    user = make_user(("sales",))
    response = sign_in(client, user.username)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/auth/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProdConfig)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProdConfig)
    monkeypatch.setenv("SECRET_KEY", "a" * 40)  # long enough, but one letter: no entropy
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProdConfig)
    monkeypatch.setenv("SECRET_KEY", "abab" * 10)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProdConfig)


def test_production_config_sets_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("AUDIT_KEY", secrets.token_hex(32))
    app = create_app(ProdConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_account_changes_password_and_timezone(login_as):
    client = login_as("marketing")
    bad = client.post(
        "/auth/account",
        data={
            "timezone": "",
            "current_password": "wrong",
            "new_password": "abcdefgh12",
            "confirm_password": "abcdefgh12",
        },
    )
    assert bad.status_code == 422
    assert b"current password is not right" in bad.data
    ok = client.post(
        "/auth/account",
        data={
            "timezone": "Europe/Berlin",
            "current_password": PASSWORD,
            "new_password": "abcdefgh12",
            "confirm_password": "abcdefgh12",
        },
    )
    assert ok.status_code == 302
    assert client.user.timezone == "Europe/Berlin"
    assert client.user.check_password("abcdefgh12")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("password123", "among the first ones attackers try"),
        ("Password-for-me", "among the first ones attackers try"),
        ("zzzzzzzzzzzz", "Use more different characters"),
    ],
)
def test_account_refuses_weak_passwords_next_to_the_field(login_as, new, message):
    client = login_as("sales")
    response = client.post(
        "/auth/account",
        data={"timezone": "", "current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="new_password"' in page
    assert client.user.check_password(PASSWORD)  # unchanged


def test_a_password_holding_the_username_is_refused(login_as):
    client = login_as("sales", username="pat-smith")
    new = "my name is pat-smith!"
    response = client.post(
        "/auth/account",
        data={"timezone": "", "current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 422 and b"Do not use your username" in response.data


def test_signing_in_starts_a_new_session(client, make_user):
    """Session fixation: nothing a visitor's cookie held before signing in survives it."""
    from flask import session

    user = make_user(("sales",))
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
        planted["csrf_token"] = "known-token"
    with client:
        assert sign_in(client, user.username).status_code == 302
        assert "planted" not in session and session.get("csrf_token") != "known-token"
        assert session["_user_id"] == f"{user.id}:{user.session_version}"  # id and session version


def test_postgres_url_uses_psycopg3():
    from config import normalise_database_url

    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_behind_a_proxy_the_client_address_comes_from_the_forwarded_header(make_app):
    from flask import request

    seen = {}
    for name, app in (("direct", make_app()), ("proxied", make_app(PROXY_HOPS=1))):

        @app.get("/_addr")
        def addr(name=name):
            seen[name] = (request.remote_addr, request.scheme)
            return "ok"

        app.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen["direct"] == ("127.0.0.1", "http")  # the headers are not trusted without a proxy
    assert seen["proxied"] == ("203.0.113.9", "https")
