"""A second marketing user approves a proposed recall, sends every notice, the worker mails
them to a real SMTP server, a consignee answers through the link in their email, and the
effectiveness page moves."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.alerts.worker import Worker
from app.extensions import db
from app.models import RecallNotice
from app.recalls import services
from tests import factories
from tests.e2e.test_complaint_journey import sign_in
from tests.factories import PASSWORD, RECALL_DATA

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_app(make_app, smtp_server, tmp_path):
    return make_app(
        WTF_CSRF_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_FILE_DIR=tmp_path / "mail"
    )


def test_approve_send_all_consignee_answers_effectiveness_moves(live_app, live_server, new_page, smtp_server):
    with live_app.app_context():
        plant = factories.make_plant()  # Shop One (email) and Shop Two (no email) received the recalled lots
        recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
        db.session.commit()
        recall_id, reference = recall.id, recall.reference
        approver = factories.make_user(("marketing",), name="Mia Marketing", password=PASSWORD).username

    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # confirm every "are you sure?"
    sign_in(page, live_server, approver)
    page.goto(f"{live_server}/recalls/{recall_id}")
    page.get_by_role("link", name="Approve recall").click()
    page.get_by_label("Your password (to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Approve recall").click()
    expect(page.get_by_text("Approved").first).to_be_visible()

    page.goto(f"{live_server}/recalls/{recall_id}/notices")
    page.get_by_role("button", name="Send all pending notices").click()
    expect(page.get_by_text(re.compile(r"1 notice"))).to_be_visible()

    with live_app.app_context():  # the alert worker, as `flask alerts send --once` runs it
        assert Worker(live_app).run_once().sent == 1
    # The notices page reloads itself every 5 s while an email was queued: leave it, or its
    # reload can abort the next navigation while the consignee answers (seen under load).
    page.goto(f"{live_server}/recalls/{recall_id}")
    (message,) = smtp_server.messages
    assert reference in message["Subject"] and message["To"] == "one@example.com"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/respond/\S+", text).group(0)

    consignee = new_page()  # no login: the consignee only has the link
    consignee.goto(live_server + urlsplit(link).path)
    expect(consignee.get_by_text("URGENT: PRODUCT RECALL")).to_be_visible()
    consignee.get_by_label("We received this recall notice").check()
    # One row per lot, each in its unit; a comma is a decimal separator (2,5 = 2.5).
    for lot, (on_hand, returned, destroyed) in (("FIN-A", ("3", "12", "0")), ("FIN-B", ("0", "2,5", "0"))):
        consignee.get_by_label(f"Lot {lot}: still on hand").fill(on_hand)
        consignee.get_by_label(f"Lot {lot}: returned to the supplier").fill(returned)
        consignee.get_by_label(f"Lot {lot}: destroyed").fill(destroyed)
    consignee.get_by_label("No", exact=True).check()
    consignee.get_by_label("Your name").fill("Sam Storekeeper")
    consignee.get_by_role("button", name="Send our answer").click()
    expect(consignee.get_by_text("your answer to recall")).to_be_visible()

    page.goto(f"{live_server}/recalls/{recall_id}/effectiveness")
    expect(page.locator("#responded-figure")).to_contain_text("1 of 2 (50.0%)")
    expect(page.locator("#notified-figure")).to_contain_text("1 of 2")
    with live_app.app_context():
        notice = db.session.scalar(sa.select(RecallNotice).where(RecallNotice.responded_at.is_not(None)))
        assert notice.response_by == "Sam Storekeeper" and notice.quantity_returned == Decimal("14.5")
