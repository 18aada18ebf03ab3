"""Production opens a complaint, traces its lot back to a shared input and holds what it fed."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import AuditEvent, Lot
from tests import factories
from tests.e2e.test_complaint_journey import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_production_traces_a_complaint_lot_and_holds_the_affected_lots(live_app, live_server, page):
    with live_app.app_context():
        flour = factories.make_lot("FLOUR-77", kind="raw")
        mix = factories.make_lot("MIX-77", kind="intermediate")
        other = factories.make_lot("SUGAR-5", kind="raw")
        breads = [factories.make_lot(f"BREAD-77-{i}") for i in range(3)]
        factories.make_edge(flour, mix)
        factories.make_edge(other, mix)
        for bread in breads:
            factories.make_edge(mix, bread)
        shop = factories.make_customer("Corner Bakery Shop", email="shop@example.com")
        factories.make_shipment(breads[0], shop, 12)
        complaint = factories.make_complaint(lot_codes="BREAD-77-0", description="Grit in the crust.")
        user = factories.make_user(("production",), name="Pia Production", password=PASSWORD)
        complaint_id, username = complaint.id, user.username

    sign_in(page, live_server, username)
    page.goto(f"{live_server}/complaints/{complaint_id}")
    # The complaint names a known lot: trace it.
    page.get_by_role("link", name="Trace").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lot BREAD-77-0")
    expect(page.get_by_text("Upstream: made from")).to_be_visible()
    # Walk up to the shared input (collapsible tree) and trace forward from the flour lot.
    page.get_by_role("link", name="FLOUR-77").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lot FLOUR-77")
    page.get_by_role("link", name="Trace forward from this lot").click()
    expect(page.get_by_text(re.compile(r"5\s+lots affected"))).to_be_visible()
    expect(page.get_by_role("cell", name="Corner Bakery Shop")).to_be_visible()

    # Hold every lot of the trace, with a reason, after confirming.
    page.get_by_label("Action").select_option(label="Put on hold")
    page.get_by_label("Which lots").select_option(label="Every lot of this trace")
    page.get_by_label("Reason").fill("Supplier reports stones in flour lot FLOUR-77")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Put on hold: 5 lots changed.")).to_be_visible()
    expect(page.get_by_text(re.compile("On hold 5"))).to_be_visible()

    with live_app.app_context():
        held = db.session.scalars(sa.select(Lot.code).where(Lot.status == "on_hold")).all()
        assert sorted(held) == ["BREAD-77-0", "BREAD-77-1", "BREAD-77-2", "FLOUR-77", "MIX-77"]
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "hold"))
            == 5
        )
