"""Sessions that end (issue 17, point 2): signing out, a new password, deactivation and an
admin's "sign out everywhere" end every session and remember-me cookie of the user, including
copies in other browsers; remember-me lasts 14 days; an unknown username costs a password check."""

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest

from app.auth import services as accounts
from app.extensions import db
from app.models import User
from tests import factories
from tests.factories import PASSWORD


def _copy(app, client):
    """A second browser holding copies of this client's cookies (stolen or copied)."""
    other = app.test_client()
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def _signed_in(client) -> bool:
    return client.get("/complaints/").status_code == 200


def _sign_out(client):
    return client.post("/auth/logout")  # CSRF is checked by the form; the test config turns it off


@pytest.fixture
def user(app):
    return factories.make_user(("sales",), username="pat")


def test_a_copied_session_ends_with_sign_out(app, user):
    browser = app.test_client()
    assert factories.sign_in(browser, "pat").status_code == 302
    thief = _copy(app, browser)
    assert _signed_in(thief)  # the copy works while the session lives
    assert _sign_out(browser).status_code == 302
    assert not _signed_in(browser) and not _signed_in(thief)


def test_a_remember_me_cookie_alone_ends_with_sign_out(app, user):
    browser = app.test_client()
    browser.post("/auth/login", data={"username": "pat", "password": PASSWORD, "remember": "y"})
    remember = browser.get_cookie("remember_token")
    assert remember is not None
    alone = app.test_client()
    alone.set_cookie("remember_token", remember.value)
    assert _signed_in(alone)  # the cookie alone signs in while it is valid
    _sign_out(browser)
    alone = app.test_client()
    alone.set_cookie("remember_token", remember.value)
    assert not _signed_in(alone)


def test_remember_me_lasts_fourteen_days_at_most(app, user):
    browser = app.test_client()
    response = browser.post("/auth/login", data={"username": "pat", "password": PASSWORD, "remember": "y"})
    cookies = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        cookies.load(header)
    expires = datetime.strptime(cookies["remember_token"]["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert expires <= datetime.now(UTC) + timedelta(days=14, minutes=1)


def test_a_new_password_ends_other_sessions_but_keeps_this_one(app, user):
    browser = app.test_client()
    factories.sign_in(browser, "pat")
    copy = _copy(app, browser)
    response = browser.post(
        "/auth/account",
        data={
            "timezone": "",
            "current_password": PASSWORD,
            "new_password": "another-horse-2",
            "confirm_password": "another-horse-2",
        },
    )
    assert response.status_code == 302
    assert _signed_in(browser)
    assert not _signed_in(copy)


def test_deactivation_and_sign_out_everywhere_end_sessions(app, user, login_as):
    browser = app.test_client()
    factories.sign_in(browser, "pat")
    admin = login_as("admin")
    assert admin.post(f"/admin/users/{user.id}/sessions/end").status_code == 302
    assert not _signed_in(browser)
    factories.sign_in(browser, "pat")
    assert _signed_in(browser)
    db.session.expire_all()
    accounts.update_user(db.session.get(User, user.id), actor=admin.user, active=False)
    db.session.commit()
    assert not _signed_in(browser)


def test_an_unknown_username_costs_a_password_check(app, user, monkeypatch):
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    assert accounts.authenticate("nobody-has-this-name", "whatever") is None
    assert len(calls) == 1  # the same work as for a known user with a wrong password


def test_pages_exports_and_reports_are_never_cached_but_static_files_may_be(app, login_as):
    client = login_as("production")
    complaint = factories.make_complaint()
    for url in ("/complaints/", "/complaints/export.csv", f"/complaints/{complaint.id}", "/auth/login"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    assert "no-store" not in (client.get("/static/app.js").headers.get("Cache-Control") or "")
