"""The recall letter PDF: read back with pypdf, rendered with pdftoppm."""

import io
import subprocess

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from app.models import RecallNotice
from app.recalls import services
from app.recalls.letter import letter_data
from app.reports.recall_letter import build_recall_letter
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA


def approved_notice(classification="II", hazard=RECALL_DATA["hazard"]):
    raw = factories.make_lot(code="RAW-9", kind="raw")
    bars = factories.make_lot(code="BAR-24-117")
    factories.make_edge(raw, bars)
    shop = factories.make_customer(name="Corner Shop <b>&amp;</b>", email="shop@example.com")
    shop.address = "1 High Street\nSpringfield"
    factories.make_shipment(bars, shop, quantity=12)
    incident = factories.make_incident()
    recall = services.propose(
        incident,
        {**RECALL_DATA, "classification": classification, "hazard": hazard},
        [raw.id],
        factories.make_user(("marketing",)),
    )
    db.session.commit()
    services.approve(recall, factories.make_user(("marketing",)), "approved", PASSWORD)
    db.session.commit()
    return db.session.scalar(sa.select(RecallNotice))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_letter_names_the_consignee_lots_quantities_hazard_and_the_response_link(app):
    notice = approved_notice()
    data = build_recall_letter(letter_data(notice, "https://lotline.example/r/abc.def"))
    assert data.startswith(b"%PDF")
    content = pdf_text(data)
    assert "URGENT: PRODUCT RECALL" in content
    assert "Corner Shop <b>&amp;</b>" in content  # what was typed, printed as text
    assert "BAR-24-117" in content and "12" in content
    assert "Small metal pieces can cut the mouth or throat." in content
    assert "Stop selling" in content and "forward this notice" in content
    assert "https://lotline.example/r/abc.def" in content
    assert notice.recall.reference in content


def test_class_three_letter_is_not_headed_urgent(app):
    content = pdf_text(build_recall_letter(letter_data(approved_notice(classification="III"), "https://x.example/r/t")))
    assert "PRODUCT RECALL" in content and "URGENT" not in content


def test_letter_renders(app, tmp_path):
    (tmp_path / "letter.pdf").write_bytes(build_recall_letter(letter_data(approved_notice(), "https://x.example/r/t")))
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(tmp_path / "letter.pdf"), str(tmp_path / "page")], check=True)  # noqa: S603,S607
    assert list(tmp_path.glob("page*.png"))
