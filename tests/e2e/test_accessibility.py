"""Accessibility: each demo role's main pages pass axe-core (serious/critical), form errors are
tied to their fields, and the main actions work from the keyboard.

axe runs on every page load through the `new_page` fixture (tests/e2e/conftest.py); these tests
only have to visit the pages.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app import demo
from app.demo.masters import DEMO_PASSWORD, DEMO_USERS
from app.extensions import db
from app.models import Complaint, Lot, Recall, User
from app.permissions import Permission, permissions_for
from app.recalls import services as recalls
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA

pytestmark = pytest.mark.e2e

# (permission needed, path) of each role's main pages; "{complaint}" etc. are filled from the demo data.
# /home is not listed: signing in lands there, and that load is audited.
PAGES = [
    (Permission.COMPLAINT_VIEW, "/complaints/"),
    (Permission.COMPLAINT_VIEW, "/complaints/{complaint}"),
    (Permission.COMPLAINT_VIEW, "/trends/"),
    (Permission.COMPLAINT_VIEW, "/search/?q={lot_code}"),
    (Permission.INCIDENT_VIEW, "/incidents/"),
    (Permission.INCIDENT_VIEW, "/incidents/{incident}"),
    (Permission.LOTS_VIEW, "/lots/"),
    (Permission.LOTS_VIEW, "/lots/{lot}"),
    (Permission.RECALL_VIEW, "/recalls/"),
    (Permission.RECALL_VIEW, "/recalls/{recall}"),
    (Permission.PRESS_VIEW, "/press/inquiries/"),
    (Permission.PRESS_VIEW, "/press/statements/"),
    (Permission.USERS_MANAGE, "/admin/users"),
    (Permission.ALERTS_VIEW, "/alerts/"),
]


def demo_sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/home")


def first_id(model) -> int | None:
    return db.session.scalar(sa.select(model.id).order_by(model.id).limit(1))


def test_each_demo_role_main_pages_pass_axe(live_app, live_server, new_page, axe_audit):
    with live_app.app_context():
        demo.load("small")
        db.session.commit()
        # The small demo has no incident or recall yet: open one of each, so their pages have content.
        production = db.session.scalar(sa.select(User).where(User.username == "production"))
        incident = factories.make_incident(actor=production)
        lot = db.session.get(Lot, first_id(Lot))
        recalls.propose(incident, RECALL_DATA, [lot.id], production)
        db.session.commit()
        ids = {
            "complaint": first_id(Complaint),
            "incident": incident.id,
            "recall": first_id(Recall),
            "lot": lot.id,
            "lot_code": lot.code,
        }
    assert all(ids.values()), ids

    for username, _name, roles in DEMO_USERS:
        granted = permissions_for(roles)
        page = new_page()
        demo_sign_in(page, live_server, username)
        for permission, path in PAGES:
            if permission in granted:
                response = page.goto(live_server + path.format(**ids))
                assert response.status == 200, (username, path, response.status)
        if Permission.COMPLAINT_CREATE in granted:
            # The new-complaint form, sent empty, so its error messages are on the page too.
            page.goto(f"{live_server}/complaints/new")
            page.get_by_role("button", name="Log complaint").click()
            expect(page.locator(".invalid-feedback").first).to_be_visible()
    axe_audit.flush()
    # Every page above was audited (a sign-in adds the login page and /home).
    assert len(axe_audit.audited) >= 4 * 4, axe_audit.audited


def test_form_errors_are_tied_to_their_fields_and_the_keyboard_reaches_the_actions(live_app, live_server, page):
    with live_app.app_context():
        username = factories.make_user(("sales",), password=PASSWORD).username

    # Sign in with the keyboard only: type, Tab to the next field, Enter submits.
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/home")

    # From the top of the page, Tab reaches the navbar search box; Enter searches.
    search_box = page.get_by_role("searchbox", name="Global search")
    tab_until(page, search_box)
    page.keyboard.type("L26-KEYBOARD")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=L26-KEYBOARD"))

    # Tab reaches the new complaint form's submit button; Enter sends the (empty) form.
    page.goto(f"{live_server}/complaints/new")
    submit = page.get_by_role("button", name="Log complaint")
    tab_until(page, submit)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log a complaint")).to_be_visible()

    # The error is announced by the field: marked invalid and described by the message next to it.
    field = page.get_by_label("What happened")
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = field.get_attribute("aria-describedby")
    assert error_id, "the invalid field names no error message"
    error = page.locator(f"#{error_id}")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    # The message sits with its field (same form group), not only in a summary at the top.
    expect(page.locator(".mb-3", has=field).locator(f"#{error_id}")).to_have_count(1)
    expect(field).to_have_accessible_description(re.compile(r"\S"))


def tab_until(page, target, limit: int = 60) -> None:
    """Press Tab from the top of the page until `target` has the focus (fails after `limit` presses)."""
    page.locator("body").focus()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if handle.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {limit} Tab presses")
