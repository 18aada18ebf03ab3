"""The recall PDFs: the 21 CFR 7.53 status report and the full recall report (content, times in
the company zone, pages that render, a recall of 1,200 consignees, and the download routes)."""

import io
import subprocess
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.alerts.worker import Worker
from app.audit import services as audit
from app.extensions import db
from app.models import Customer, Recall, RecallNotice, Shipment
from app.recalls import notices, responses, services
from app.recalls.report_data import recall_report_data
from app.reports.recall import build_recall_report, build_status_report
from app.reports.recall.layout import Clock
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA

ZONE = "Europe/Berlin"
HOSTILE = 'Sieve <b>bold</b> <script>alert("x")</script> & </font>'
ANSWER = factories.answer((2, 10, "1.5"), (0, 0, 0))  # Shop One: FIN-A (15 shipped), FIN-B (3)


def pdf_text(pdf: bytes) -> str:
    """All pages' text, whitespace collapsed (cells wrap across lines)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def text_from_end(reader: PdfReader, needle: str) -> str:
    """The text of the last page holding `needle`, reading pages from the end."""
    for page in reversed(reader.pages):
        text = " ".join(page.extract_text().split())
        if needle in text:
            return text
    return ""


@pytest.fixture
def recall_app(make_app, smtp_server, tmp_path):
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_FILE_DIR=tmp_path / "mail",
        DEFAULT_TIMEZONE=ZONE,
    )
    with app.app_context():
        yield app


@pytest.fixture
def approved(recall_app):
    """An approved recall of RAW-1 (FIN-A, FIN-B): Shop One has email, Shop Two has none."""
    plant = factories.make_plant()
    recall = services.propose(
        plant["incident"],
        {**RECALL_DATA, "estimated_completion": date(2026, 12, 31)},
        [plant["raw"].id],
        plant["proposer"],
    )
    plant["marketing"] = factories.make_user(("marketing",), name="Mona Approver")
    services.approve(recall, plant["marketing"], "approved", PASSWORD)
    db.session.commit()
    by_consignee = {n.consignee_id: n for n in db.session.scalars(sa.select(RecallNotice))}
    plant["one"] = by_consignee[plant["shop1"].id]
    plant["two"] = by_consignee[plant["shop2"].id]
    plant["recall"] = recall
    return plant


@pytest.fixture
def reported(approved, recall_app):
    """Shop One emailed (delivered) and answered; Shop Two told by phone, no answer yet."""
    recall, marketing = approved["recall"], approved["marketing"]
    notices.send_notices(recall, marketing)
    db.session.commit()
    assert Worker(recall_app).run_once().sent == 1
    notices.record_notification(approved["two"], "phone", None, "Told the manager", marketing)
    one = approved["one"]
    responses.record_response(one, ANSWER, source="manual", actor=marketing, opened_version=one.version)
    db.session.commit()
    return approved


def test_status_report_follows_21_cfr_7_53(reported):
    recall = reported["recall"]
    text = pdf_text(build_status_report(recall_report_data(recall, with_timeline=False)))
    for heading in (
        "1. Consignees notified, with dates and method of notification",
        "2. Consignees responding, and quantity on hand when the notice was received",
        "3. Consignees not responding",
        "4. Products returned or corrected by each consignee, and quantity accounted for",
        "5. Effectiveness checks: number and results",
        "6. Estimated time frame for completion",
    ):
        assert heading in text
    assert f"Recall status report {recall.reference}" in text
    assert "2 of 2 consignees notified (100.0%)" in text
    assert "Email 1" in text and "Phone 1" in text  # method of notification, per day
    assert "1 of 2 consignees responded (50.0%); quantity on hand when they received the notice: 2." in text
    assert "1 consignee(s) have not responded" in text
    # Shop Two does not respond: named with its phone notification; Shop One's quantities.
    non_responders = text.split("3. Consignees not responding")[1].split("4. Products")[0]
    assert "Shop Two" in non_responders and "Phone" in non_responders and "Shop One" not in non_responders
    returned = text.split("4. Products returned")[1].split("5. Effectiveness")[0]
    assert "Shop One" in returned and "18 2 10 1.5 13.5 no" in returned  # shipped, on hand, ..., accounted
    assert "13.5 of 25 (54.0%)" in text  # accounted of shipped (18 + 7)
    assert "Level C — 10% of consignees" in text and "1 of 2 consignees (10%)" in text
    assert "Estimated completion: 2026-12-31." in text
    assert "RAW-1" in text
    assert "Mona Approver" in text and "Approved" in text  # the signature manifest
    assert "page 1 of" in text and f"Lotline · {recall.reference} status report · generated" in text


def test_full_report_prints_the_recall(reported):
    recall = reported["recall"]
    text = pdf_text(build_recall_report(recall_report_data(recall)))
    assert f"Recall report {recall.reference}" in text
    for expected in (
        "Class II — temporary or medically reversible adverse health consequences",
        "Retail",
        "Refund",
        "Level C — 10% of consignees",
        reported["incident"].reference,
        RECALL_DATA["reason"],
        RECALL_DATA["hazard"],
        RECALL_DATA["instructions"],
        "No press statements are recorded yet.",
    ):
        assert expected in text
    lots = text.split("Lots in scope")[1].split("Consignees")[0]
    assert "3 lot(s) in scope" in lots and "root lot(s) RAW-1" in lots
    assert "RAW-1" in lots and "FIN-A" in lots and "FIN-B" in lots and "FIN-C" not in lots
    assert "root" in lots
    consignees = text.split("consignee(s) received lots in scope")[1].split("Mass balance")[0]
    assert "Shop One 18" in consignees and "Shop Two 7" in consignees
    assert "Email" in consignees and "Phone" in consignees and "2 10 1.5 no" in consignees
    assert "Accounted for (on hand + returned + destroyed) 13.5 (54.0%)" in text
    assert "Consignees to check (sample size) 1" in text
    timeline = text.split("Timeline (audit trail")[1]
    for action in ("proposed", "approve", "notices sent", "consignee notified", "response received"):
        assert action in timeline
    assert "Mona Approver" in timeline and "Approved" in timeline


def test_approved_press_statements_are_in_the_report(reported):
    from app.press import services as press

    recall = reported["recall"]
    author, second = factories.make_user(("marketing",)), factories.make_user(("marketing",))
    base = dict(body="We are recalling two lots.", incident_id=None, recall_id=recall.id)
    approved = press.create_statement({**base, "kind": "holding", "title": "Oat bars recalled"}, author)
    press.create_statement({**base, "kind": "press_release", "title": "Never approved draft"}, author)
    press.apply_statement_transition(approved, "submit", {}, author)
    press.apply_statement_transition(approved, "approve", {"meaning": "approved"}, second, PASSWORD)
    db.session.commit()
    text = pdf_text(build_recall_report(recall_report_data(recall)))
    section = text.split("Press statements")[1].split("Timeline")[0]
    assert f"{approved.reference} v1: Oat bars recalled" in section and "Holding statement" in section
    assert "Never approved draft" not in section


def test_times_are_in_the_company_zone(reported):
    recall = reported["recall"]
    text = pdf_text(build_recall_report(recall_report_data(recall)))
    assert f"Times are in {ZONE}" in text
    assert Clock(recall_report_data(recall).zone).full(recall.approved_at) in text  # CET or CEST
    assert recall.approved_at.strftime("%H:%M UTC") not in text


def test_thousands_of_consignee_events_are_counted_per_day(approved):
    recall = approved["recall"]
    audit.record_many("response received", "recall", [(recall.id, recall.reference)] * 501, actor=approved["marketing"])
    db.session.commit()
    text = pdf_text(build_recall_report(recall_report_data(recall)))
    timeline = text.split("Timeline (audit trail")[1]
    assert "The 501 events about single consignees" in timeline and "response received × 501" in timeline
    assert "approve" in timeline  # the recall's own events are still listed one by one


def test_hostile_text_prints_literally(reported):
    recall = reported["recall"]
    recall.hazard = HOSTILE
    db.session.commit()
    text = pdf_text(build_recall_report(recall_report_data(recall)))
    assert "<b>bold</b>" in text and '<script>alert("x")</script>' in text and "</font>" in text


def test_first_pages_render(reported, tmp_path):
    data = recall_report_data(reported["recall"])
    for name, pdf in (("status", build_status_report(data)), ("report", build_recall_report(data))):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / name)], check=True
        )
        (png,) = tmp_path.glob(f"{name}*.png")
        assert png.stat().st_size > 5_000  # a blank A4 page at 50 dpi is far smaller


def test_a_proposed_recall_has_reports_too(recall_app):
    plant = factories.make_plant()
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    db.session.commit()
    data = recall_report_data(recall)
    text = pdf_text(build_recall_report(data))
    assert "not approved" in text and "0 consignee(s)" in text and "FIN-B" in text
    assert "0 of 0 consignees notified" in pdf_text(build_status_report(data))


def test_a_recall_of_1200_consignees_spans_pages(recall_app):
    plant = factories.make_plant()
    db.session.execute(
        sa.insert(Customer), [dict(name=f"Store {n:04d}", kind="retailer", version=1) for n in range(1, 1201)]
    )
    stores = db.session.scalars(sa.select(Customer.id).where(Customer.name.like("Store %")).order_by(Customer.name))
    db.session.execute(
        sa.insert(Shipment),
        [
            dict(lot_id=plant["b"].id, consignee_id=store, quantity=n, shipped_on=date(2026, 2, 1), reference="BULK")
            for n, store in enumerate(stores.all(), start=1)
        ],
    )
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    services.approve(recall, factories.make_user(("marketing",)), "approved", PASSWORD)
    db.session.commit()
    # pypdf reads a page in ~0.1 s: read the first pages and, from the end, up to the last consignee.
    report = PdfReader(io.BytesIO(build_recall_report(recall_report_data(recall))))
    total = len(report.pages)
    assert total > 20 and f"page {total} of {total}" in report.pages[-1].extract_text()
    assert "1,202 consignee(s) received lots in scope" in " ".join(report.pages[0].extract_text().split())
    assert "Store 1200 1200" in text_from_end(report, "Store 1200")  # the last consignee, by name
    status = PdfReader(io.BytesIO(build_status_report(recall_report_data(recall, with_timeline=False))))
    assert "Store 1200" in text_from_end(status, "Store 1200")
    assert "1,202 consignee(s) have not responded" in text_from_end(status, "have not responded")


def test_everyone_may_download_both_reports(approved, login_as):
    recall = approved["recall"]
    client = login_as("sales")
    for path, suffix in (("status-report.pdf", "status"), ("report.pdf", "report")):
        response = client.get(f"/recalls/{recall.id}/{path}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f'inline; filename="{recall.reference}-{suffix}.pdf"'
        assert response.data.startswith(b"%PDF")


def test_anonymous_is_sent_to_log_in_and_unknown_recall_is_404(approved, recall_app, login_as):
    recall = approved["recall"]
    anonymous = recall_app.test_client()
    for path in ("status-report.pdf", "report.pdf"):
        response = anonymous.get(f"/recalls/{recall.id}/{path}")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    client = login_as("production")
    missing = db.session.scalar(sa.select(sa.func.max(Recall.id))) + 1
    assert client.get(f"/recalls/{missing}/report.pdf").status_code == 404
    assert client.get(f"/recalls/{missing}/status-report.pdf").status_code == 404
