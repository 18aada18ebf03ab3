"""Attachments: upload and download on complaints and incidents, type by content, size,
hostile names, who may do what, and the audit trail."""

import io
import json

import pytest
import sqlalchemy as sa

from app.attachments.services import TYPE_REFUSED, detect_type
from app.extensions import db
from app.models import Attachment, AuditEvent
from tests import factories
from tests.factories import PASSWORD, sign_in

PNG = factories.PNG_BYTES
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _post(client, url, data: bytes, filename: str):
    return client.post(url, data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def _stored_files(app):
    folder = app.config["UPLOAD_DIR"]
    return sorted(p for p in folder.iterdir()) if folder.exists() else []


def _rows():
    return db.session.scalars(sa.select(Attachment)).all()


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [(PNG, "photo.png", "image/png"), (PDF, "lab report.pdf", "application/pdf")],
)
def test_upload_and_download(app, login_as, data, filename, content_type):
    complaint = factories.make_complaint()
    client = login_as("sales")
    response = _post(client, f"/attachments/complaint/{complaint.id}", data, filename)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/complaints/{complaint.id}#attachments")
    (attachment,) = _rows()
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.stored_name.endswith("." + content_type.rsplit("/", 1)[1].replace("jpeg", "jpg"))

    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert f"/attachments/{attachment.id}" in page

    download = login_as("marketing").get(f"/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.data == data
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == content_type


def test_incident_upload_by_production_only(app, login_as):
    incident = factories.make_incident()
    assert _post(login_as("sales"), f"/attachments/incident/{incident.id}", PNG, "a.png").status_code == 403
    client = login_as("production")
    assert _post(client, f"/attachments/incident/{incident.id}", PDF, "8d.pdf").status_code == 302
    (attachment,) = _rows()
    assert (attachment.record_type, attachment.record_id) == ("incident", incident.id)
    assert "8d.pdf" in client.get(f"/incidents/{incident.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"just some text, honest\n", "photo.png", TYPE_REFUSED),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg", TYPE_REFUSED),
        (b"MZ\x90\x00" + b"\x00" * 60, "invoice.pdf", TYPE_REFUSED),
        (b"", "empty.png", "The file is empty."),
    ],
)
def test_refused_content_stores_nothing(app, login_as, data, filename, message):
    complaint = factories.make_complaint()
    client = login_as("sales")
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = _post(client, f"/attachments/complaint/{complaint.id}", data, filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _rows() == []
    assert _stored_files(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events_before


def test_oversized_refused(make_app):
    app = make_app(MAX_ATTACHMENT_BYTES=1024)
    with app.app_context():
        complaint = factories.make_complaint()
        client = app.test_client()
        sign_in(client, factories.make_user(("sales",), password=PASSWORD).username)
        response = _post(client, f"/attachments/complaint/{complaint.id}", PNG + b"\x00" * 2048, "big.png")
        assert response.status_code == 422
        assert "The file is larger than the 1 KB limit for attachments." in response.get_data(as_text=True)
        assert _rows() == []
        assert _stored_files(app) == []


def test_no_file_refused(app, login_as):
    complaint = factories.make_complaint()
    response = login_as("sales").post(f"/attachments/complaint/{complaint.id}", data={})
    assert response.status_code == 422
    assert "Choose a file to attach." in response.get_data(as_text=True)


def test_path_traversal_name_is_harmless(app, login_as):
    complaint = factories.make_complaint()
    response = _post(login_as("sales"), f"/attachments/complaint/{complaint.id}", PNG, "../../etc/passwd")
    assert response.status_code == 302
    (attachment,) = _rows()
    assert attachment.original_name == "etc_passwd.png"  # the extension of the detected type
    assert "/" not in attachment.stored_name and ".." not in attachment.stored_name
    upload_dir = app.config["UPLOAD_DIR"].resolve()
    (stored,) = _stored_files(app)
    assert stored.resolve().parent == upload_dir
    assert stored.name == attachment.stored_name
    assert stored.read_bytes() == PNG


def test_long_and_odd_names_are_kept_short(app, login_as):
    complaint = factories.make_complaint()
    client = login_as("sales")
    assert _post(client, f"/attachments/complaint/{complaint.id}", PNG, "a" * 500 + ".png").status_code == 302
    assert _post(client, f"/attachments/complaint/{complaint.id}", PNG, "...").status_code == 302
    names = [a.original_name for a in _rows()]
    assert len(names[0]) == 200 and names[0].endswith(".png")
    assert names[1] == "attachment.png"


def test_marketing_downloads_but_cannot_upload(app, login_as):
    attachment = factories.make_attachment()
    client = login_as("marketing")
    assert client.get(f"/attachments/{attachment.id}").status_code == 200
    response = _post(client, f"/attachments/complaint/{attachment.record_id}", PNG, "b.png")
    assert response.status_code == 403
    assert len(_rows()) == 1
    assert 'enctype="multipart/form-data"' not in client.get(f"/complaints/{attachment.record_id}").get_data(
        as_text=True
    )


def test_anonymous_download_goes_to_login(app, client):
    attachment = factories.make_attachment()
    response = client.get(f"/attachments/{attachment.id}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "url", ["/attachments/complaint/999999", "/attachments/incident/999999", "/attachments/lot/{complaint}"]
)
def test_unknown_record_404(app, login_as, url):
    complaint = factories.make_complaint()
    response = _post(login_as("production"), url.format(complaint=complaint.id), PNG, "a.png")
    assert response.status_code == 404
    assert _rows() == []


def test_unknown_attachment_404(app, login_as):
    assert login_as("sales").get("/attachments/999999").status_code == 404


def test_upload_is_audited(app, login_as):
    complaint = factories.make_complaint()
    client = login_as("sales")
    _post(client, f"/attachments/complaint/{complaint.id}", PDF, "report.pdf")
    (attachment,) = _rows()
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "attachment added").order_by(AuditEvent.id.desc())
    ).first()
    assert (event.record_type, event.record_id, event.actor_id) == ("complaint", complaint.id, client.user.id)
    assert json.loads(event.changes) == {"attachment": "report.pdf", "size": len(PDF), "sha256": attachment.sha256}
    assert "Attachment added" in client.get(f"/complaints/{complaint.id}").get_data(as_text=True)


def test_failed_commit_removes_the_file(app, login_as, monkeypatch):
    complaint = factories.make_complaint()
    client = login_as("sales")

    def fail():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    response = _post(client, f"/attachments/complaint/{complaint.id}", PNG, "a.png")
    monkeypatch.undo()
    assert response.status_code == 500
    assert _stored_files(app) == []
    assert _rows() == []


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", ("image/jpeg", "jpg")),
        (b"GIF87a\x01\x00", ("image/gif", "gif")),
        (b"GIF89a\x01\x00", ("image/gif", "gif")),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", ("image/webp", "webp")),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"%PDF", None),
        (b"<html>", None),
    ],
)
def test_detect_type_by_magic_bytes(head, expected):
    assert detect_type(head) == expected


@pytest.mark.parametrize(
    ("data", "filename", "offered"),
    [
        (PNG, "photo.hta", "photo.png"),
        (PNG, "x.html", "x.png"),
        (PDF, "invoice.pdf.exe", "invoice.pdf.pdf"),
        (PDF, "report", "report.pdf"),
        (PNG, "photo.PNG", "photo.png"),
    ],
)
def test_the_download_is_named_with_the_extension_of_the_detected_type(app, login_as, data, filename, offered):
    complaint = factories.make_complaint()
    client = login_as("sales")
    assert _post(client, f"/attachments/complaint/{complaint.id}", data, filename).status_code == 302
    (attachment,) = _rows()
    assert attachment.original_name == offered
    download = client.get(f"/attachments/{attachment.id}")
    assert download.headers["Content-Disposition"] == f"attachment; filename={offered}"


def test_a_row_stored_under_its_uploaders_extension_is_offered_with_the_detected_one(app, login_as):
    # Rows written before the name was corrected keep "photo.hta": the download name is derived when read.
    attachment = factories.make_attachment(data=PNG, filename="photo.png")
    db.session.execute(sa.update(Attachment).where(Attachment.id == attachment.id).values(original_name="photo.hta"))
    db.session.commit()
    client = login_as("sales")
    download = client.get(f"/attachments/{attachment.id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == "attachment; filename=photo.png"
    page = client.get(f"/complaints/{attachment.record_id}").get_data(as_text=True)
    assert "photo.png" in page and "photo.hta" not in page
