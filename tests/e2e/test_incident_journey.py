"""Production turns two complaints into an incident, records containment and then starts the
investigation, traces and holds, runs a CAPA to a signed verification, closes the incident with
a signature once sales has answered the complainants, downloads the PDF report, reopens the
incident (signed) and proposes a recall, which the incident page then shows."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.complaints import services as complaints
from app.extensions import db
from app.models import Complaint, Incident, Lot, Signature
from tests import factories
from tests.e2e.test_complaint_journey import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_incident_from_two_complaints_to_signed_close(live_app, live_server, page, tmp_path):
    with live_app.app_context():
        flour = factories.make_lot("FLOUR-9", kind="raw")
        breads = [factories.make_lot(f"BREAD-9-{i}") for i in range(2)]
        for bread in breads:
            factories.make_edge(flour, bread)
        refs = [
            factories.make_complaint(lot_codes=f"BREAD-9-{i}", description=f"Stone in loaf {i}").reference
            for i in range(2)
        ]
        user = factories.make_user(("production",), name="Pia Production", password=PASSWORD)
        username = user.username
    page.on("dialog", lambda dialog: dialog.accept())  # confirm every "are you sure?"

    sign_in(page, live_server, username)
    page.goto(f"{live_server}/complaints/")
    for ref in refs:
        page.get_by_label(f"Tick {ref}").check()
    page.get_by_role("button", name="Open incident from ticked").click()
    page.get_by_label("Title").fill("Stones in bread from flour lot")
    page.get_by_label("Problem description").fill("Two customers found stones in bread.")
    page.get_by_label("Owner").select_option(label="Pia Production")
    page.get_by_label("Severity").select_option("4")
    page.get_by_label("Probability").select_option("3")
    page.get_by_role("button", name="Open incident").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"INC-\d{4}-\d{4}"))
    incident_url = page.url

    # Containment first, then the investigation: containment does not stop it (as in every 8D).
    page.get_by_role("link", name="Record containment").click()
    page.get_by_label("Containment").fill("All affected lots on hold.")
    page.get_by_role("button", name="Record containment").click()
    expect(page.locator("h1 .badge").first).to_have_text("Open")
    page.get_by_role("link", name="Start investigation").click()
    page.get_by_role("button", name="Start investigation").click()
    expect(page.locator("h1 .badge").first).to_have_text("Investigating")

    # Trace forward from the shared input (the flour lot) and store the scope.
    page.locator("summary", has_text="Their input lots").click()
    page.get_by_label(re.compile("^FLOUR-9")).check()
    page.get_by_role("button", name="Trace and store").click()
    expect(page.get_by_text(re.compile(r"3\s+lots"))).to_be_visible()
    page.get_by_label("Reason for the hold").fill("Stones reported in flour lot FLOUR-9")
    page.get_by_role("button", name="Hold affected lots").click()

    # A corrective action, run to a signed verification.
    page.get_by_role("link", name="Add action").click()
    page.get_by_label("Kind").select_option(label="Corrective")
    page.get_by_label("What will be done").fill("Add a sieve before mixing.")
    page.get_by_label("Owner").select_option(label="Pia Production")
    page.get_by_label("Due date", exact=True).fill((date.today() + timedelta(days=7)).isoformat())
    page.get_by_label("Effectiveness check", exact=True).fill("No stone complaints for 3 months.")
    page.get_by_label("Effectiveness check due").fill((date.today() + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Add action").click()
    page.get_by_role("link", name="Start").click()
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Mark implemented").click()
    page.get_by_label("What was done").fill("Sieve installed on line 2.")
    page.get_by_role("button", name="Mark implemented").click()
    page.get_by_role("link", name="Verify effective").click()
    page.get_by_label("Effectiveness result").fill("No repeat in the trial period.")
    page.get_by_label("Your password (to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Verify effective and sign").click()
    expect(page.get_by_text("Verified effective").first).to_be_visible()

    # Root cause, then the signed close: the form first says what still blocks it.
    page.get_by_role("link", name=re.compile(r"INC-\d{4}-\d{4}")).first.click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Root cause statement").fill("Supplier sieve broken at the mill.")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("link", name="Close incident").click()
    blockers = page.get_by_role("alert").filter(has_text="cannot close yet")
    for ref in refs:
        expect(blockers).to_contain_text(ref)
    with live_app.app_context():  # sales answers both complainants meanwhile
        sales = factories.make_user(("sales",))
        for complaint in db.session.scalars(sa.select(Complaint).where(Complaint.reference.in_(refs))):
            factories.triage(complaint)
            complaints.apply_transition(complaint, "investigate", {}, factories.make_user(("production",)))
            complaints.apply_transition(complaint, "resolve", {"reply_to_complainant": "Refund sent."}, sales)
        db.session.commit()
    page.reload()
    expect(page.get_by_text("cannot close yet")).to_have_count(0)
    page.get_by_label("Closing summary").fill("Cause removed, action verified effective.")
    page.get_by_label("Your password (to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Close incident").click()
    expect(page.locator("h1 .badge").first).to_have_text("Closed")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF report").click()
    path = tmp_path / "report.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    # A recall now needs the incident reopened: a signed move with a reason.
    page.get_by_role("link", name="Reopen incident").click()
    page.get_by_label("Why the incident is reopened").fill("A third customer found a stone in another lot.")
    page.get_by_label("Your password (to sign)").fill(PASSWORD)
    page.get_by_role("button", name="Reopen incident and sign").click()
    expect(page.locator("h1 .badge").first).to_have_text("Investigating")
    page.get_by_role("link", name="Propose recall").click()
    page.get_by_label("Hazard, in plain words").fill("Small stones that can break a tooth.")
    page.get_by_label("Reason for the recall").fill("Stones from a broken sieve at the mill.")
    page.get_by_label("Instructions to consignees").fill("Stop selling and return the bread.")
    page.get_by_label("Depth").select_option(label="Retail")
    page.get_by_label("Remedy").select_option(label="Refund")
    page.get_by_role("button", name="Propose recall").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"RCL-\d{4}-\d{4}"))
    recall_ref = re.search(r"RCL-\d{4}-\d{4}", page.get_by_role("heading", level=1).inner_text()).group(0)
    page.goto(incident_url)
    expect(page.locator("h1 .badge").first).to_have_text("Recall proposed")
    expect(page.locator("#recalls")).to_contain_text(recall_ref)

    with live_app.app_context():
        incident = db.session.scalar(sa.select(Incident))
        assert incident.status == "escalated"
        held = db.session.scalars(sa.select(Lot.code).where(Lot.status == "on_hold")).all()
        assert sorted(held) == ["BREAD-9-0", "BREAD-9-1", "FLOUR-9"]
        meanings = sorted(db.session.scalars(sa.select(Signature.meaning)))
        assert meanings == ["approved", "approved", "verified"]  # close, reopen, verification
