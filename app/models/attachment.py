"""Files (photos, PDFs) attached to a complaint or an incident.

The bytes live on disk under UPLOAD_DIR with a generated name; this row is the only
link from the record to the file, and keeps the hash that proves the file unchanged.
"""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

RECORD_TYPES = ("complaint", "incident")
# The types an attachment may have (detected from its bytes) and the extension each is named with.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (sa.Index("ix_attachments_record", "record_type", "record_id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_type: so.Mapped[str] = so.mapped_column(sa.String(30))
    record_id: so.Mapped[int] = so.mapped_column(sa.Integer)
    # Shown to people only; never used to build a path.
    original_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # uuid hex + an extension picked from the detected type: unique and harmless on disk.
    stored_name: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(100))
    size: so.Mapped[int] = so.mapped_column(sa.Integer)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    uploaded_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    uploaded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: so.Mapped["User"] = so.relationship()  # noqa: F821

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """The uploader's name with the extension of the detected type: "photo.hta" holding a
        PNG is offered as "photo.png" (derived when read, so rows stored before are named right)."""
        return name_with_extension(self.original_name, EXTENSIONS.get(self.content_type, "bin"))

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.original_name}>"


def name_with_extension(name: str, extension: str) -> str:
    """`name` with its extension (if any) replaced by `extension`."""
    stem, dot, _ = name.rpartition(".")
    stem = stem if dot and stem.strip(".") else name.strip(".")
    return f"{stem or 'attachment'}.{extension}"
