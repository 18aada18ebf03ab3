"""Press, in Chromium: marketing logs a journalist's inquiry about an incident and drafts a
holding statement; a second marketing user approves it with their password; sales opens a
complaint of that incident and sees the approved words to use with customers."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import PressInquiry, Signature, Statement
from tests import factories
from tests.e2e.test_complaint_journey import nav_link, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

TITLE = "Oat bars: two lots withdrawn as a precaution"
BODY = "We are withdrawing two lots of oat bars.\n\nNo other products are affected. <b>Not bold</b>"


def test_inquiry_statement_approval_and_one_voice_for_sales(live_app, live_server, new_page, tmp_path):
    with live_app.app_context():
        complaint = factories.make_complaint(lot_codes="OAT-77", description="Hard piece in an oat bar")
        incident = factories.make_incident([complaint], title="Hard pieces in oat bars")
        anna = factories.make_user(("marketing",), name="Anna Marketing", password=PASSWORD)
        ben = factories.make_user(("marketing",), name="Ben Marketing", password=PASSWORD)
        sales = factories.make_user(("sales",), name="Sam Sales", password=PASSWORD)
        incident_id, incident_ref = incident.id, incident.reference
        complaint_id, complaint_ref = complaint.id, complaint.reference
        anna_name, ben_name, sales_name = anna.username, ben.username, sales.username

    # Anna logs the journalist's call from the incident page.
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, anna_name)
    page.goto(f"{live_server}/incidents/{incident_id}")
    page.locator("#press").get_by_role("link", name="Log a press inquiry").click()
    expect(page.get_by_role("heading", name="Log a press inquiry")).to_be_visible()
    expect(page.get_by_label("Incident")).to_have_value(str(incident_id))
    page.get_by_label("Outlet").fill("Daily Courier")
    page.get_by_label("Journalist").fill("Jo Reporter")
    page.get_by_label("Contact").fill("jo@courier.example")
    page.get_by_label("Channel").select_option(label="Phone")
    page.get_by_label("Deadline").fill("2030-07-01T16:00")
    page.get_by_label("Question").fill("Are the oat bars safe to eat?")
    page.get_by_role("button", name="Log inquiry").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"PRS-\d{4}-\d{4}"))
    expect(page.locator("h1 .badge").first).to_have_text("Received")
    expect(page.locator("main")).to_contain_text(incident_ref)
    expect(page.locator("main")).to_contain_text("2030-07-01 16:00")

    # …then drafts the holding statement for the incident and sends it for approval.
    page.goto(f"{live_server}/incidents/{incident_id}")
    page.locator("#press").get_by_role("link", name="Draft a statement").click()
    page.get_by_label("Kind").select_option(label="Holding statement")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Text", exact=True).fill(BODY)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"STM-\d{4}-\d{4}"))
    statement_url = page.url
    page.get_by_role("button", name="Send for approval").click()
    expect(page.locator("h1 .badge").first).to_have_text("In review")
    expect(page.get_by_role("link", name="Approve statement")).to_have_count(0)  # four eyes
    expect(page.locator("main")).to_contain_text("Four eyes")

    # Ben, in his own browser, finds it under Press and approves it with his password.
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, ben_name)
    nav_link(page, "Press").click()
    page.get_by_role("link", name="Statements").click()
    page.get_by_role("row", name=re.compile(TITLE)).get_by_role("link", name=re.compile(r"STM-")).click()
    expect(page).to_have_url(statement_url)
    page.get_by_role("link", name="Approve statement").click()
    expect(page.locator("main")).to_contain_text("No other products are affected.")
    page.get_by_label("Your password (to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Approve statement and sign").click()
    expect(page.locator("h1 .badge").first).to_have_text("Approved")
    expect(page.locator("#signatures")).to_contain_text("Ben Marketing")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download press release (PDF)").click()
    path = tmp_path / "release.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    # Sam from sales opens a complaint of the incident and sees the approved words, as text.
    page = new_page()
    sign_in(page, live_server, sales_name)
    expect(nav_link(page, "Press")).to_have_count(0)
    page.goto(f"{live_server}/complaints/{complaint_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(complaint_ref)
    card = page.get_by_role("region", name="Approved words to use with customers")
    expect(card).to_be_visible()
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text("No other products are affected. <b>Not bold</b>")
    expect(card).to_contain_text("Approved by Ben Marketing")
    expect(card.locator("b")).to_have_count(0)

    with live_app.app_context():
        assert db.session.scalar(sa.select(PressInquiry.incident_id)) == incident_id
        statement = db.session.scalar(sa.select(Statement))
        assert (statement.status, statement.approved_version, statement.incident_id) == ("approved", 1, incident_id)
        signature = db.session.scalar(sa.select(Signature))
        assert (signature.record_type, signature.printed_name) == ("statement", "Ben Marketing")
