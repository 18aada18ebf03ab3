"""Attachments: who may add and read them, what may be stored, and storing it safely.

The file type is decided by the bytes, never by the name or the browser's Content-Type:
both are chosen by the uploader. The stored name is generated, so no uploaded name can
reach the file system.
"""

import hashlib
import os
import uuid
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app
from werkzeug.utils import secure_filename

from ..audit import services as audit
from ..errors import NotAllowed, ValidationError
from ..extensions import db
from ..models import Attachment, Complaint, Incident
from ..models.attachment import EXTENSIONS, name_with_extension
from ..permissions import Permission, roles_with

MODELS = {"complaint": Complaint, "incident": Incident}
VIEW_PERMISSION = {"complaint": Permission.COMPLAINT_VIEW, "incident": Permission.INCIDENT_VIEW}
# Who attaches: those who write the record (sales the complaint, production its triage and the incident).
UPLOAD_PERMISSIONS = {
    "complaint": (Permission.COMPLAINT_EDIT, Permission.COMPLAINT_TRIAGE),
    "incident": (Permission.INCIDENT_EDIT,),
}
TYPE_REFUSED = "Only photos (JPEG, PNG, GIF, WebP) and PDF files can be attached."
NAME_MAX = 200
_CHUNK = 64 * 1024


def _content_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def detect_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, or None when not allowed."""
    content_type = _content_type(head)
    return (content_type, EXTENSIONS[content_type]) if content_type else None


def display_name(filename: str | None, extension: str) -> str:
    """A harmless name to show and to offer on download: path parts and odd characters gone,
    and the extension of the detected type, whatever the uploader's name said."""
    name = secure_filename(filename or "")
    if not name or name.startswith("."):
        name = "attachment"
    name = name_with_extension(name, extension)
    if len(name) > NAME_MAX:
        stem = name[: -len(extension) - 1]
        name = f"{stem[: NAME_MAX - len(extension) - 1]}.{extension}"
    return name


def record_or_404(record_type: str, record_id: int):
    model = MODELS.get(record_type)
    if model is None:
        abort(404)
    return db.get_or_404(model, record_id)


def can_view(record_type: str, user) -> bool:
    return user.can(VIEW_PERMISSION[record_type])


def can_upload(record_type: str, user) -> bool:
    return can_view(record_type, user) and any(user.can(p) for p in UPLOAD_PERMISSIONS[record_type])


def check_upload(record_type: str, user) -> None:
    if not can_upload(record_type, user):
        who = " or ".join(sorted({role for p in UPLOAD_PERMISSIONS[record_type] for role in roles_with(p)}))
        raise NotAllowed(f"Only {who} can attach files to a {record_type}.")


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def file_path(attachment: Attachment) -> Path:
    return upload_dir() / attachment.stored_name


def attachments_for(record_type: str, record_id: int) -> list[Attachment]:
    """The files of one record, oldest first, with their uploaders (two queries)."""
    return list(
        db.session.scalars(
            sa.select(Attachment)
            .where(Attachment.record_type == record_type, Attachment.record_id == record_id)
            .options(so.selectinload(Attachment.uploaded_by))
            .order_by(Attachment.id)
        )
    )


def _human(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


def _write_temp(stream, folder: Path, max_bytes: int) -> tuple[Path, int, str, bytes]:
    """Copy the upload to a temporary file in `folder`, counting and hashing as it goes.

    The temp file sits in the same folder as the final one so os.replace is atomic.
    """
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".upload-{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(temp, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationError(
                        f"The file is larger than the {_human(max_bytes)} limit for attachments.",
                        {"file": ["This file is too large."]},
                    )
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, size, digest.hexdigest(), head


def add_attachment(record_type: str, record, upload, actor) -> tuple[Attachment, Path]:
    """Store `upload` (a werkzeug FileStorage) for the record; flush and audit, don't commit.

    Returns the row and the stored path: the caller removes the file if its commit fails.
    """
    check_upload(record_type, actor)
    folder = upload_dir()
    temp, size, sha256, head = _write_temp(upload.stream, folder, current_app.config["MAX_ATTACHMENT_BYTES"])
    try:
        if size == 0:
            raise ValidationError("The file is empty.", {"file": ["The file is empty."]})
        detected = detect_type(head)
        if detected is None:
            raise ValidationError(TYPE_REFUSED, {"file": [TYPE_REFUSED]})
        content_type, extension = detected
        stored_name = f"{uuid.uuid4().hex}.{extension}"
        final = folder / stored_name
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    try:
        attachment = Attachment(
            record_type=record_type,
            record_id=record.id,
            original_name=display_name(upload.filename, extension),
            stored_name=stored_name,
            content_type=content_type,
            size=size,
            sha256=sha256,
            uploaded_by_id=actor.id,
        )
        db.session.add(attachment)
        db.session.flush()
        audit.record(
            "attachment added",
            record_type,
            record.id,
            label=record.reference,
            changes={"attachment": attachment.original_name, "size": size, "sha256": sha256},
            actor=actor,
        )
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    return attachment, final


def panel(record_type: str, record_id: int, user) -> dict:
    """What the attachments card of a detail page needs: the files, the form, who may upload."""
    from .forms import AttachmentForm

    return {
        "record_type": record_type,
        "record_id": record_id,
        "files": attachments_for(record_type, record_id),
        "can_upload": can_upload(record_type, user),
        "form": AttachmentForm(),
    }
