"""The upload form shown on complaint and incident pages."""

from flask_wtf.file import FileField, FileRequired

from ..web.forms import AppForm


class AttachmentForm(AppForm):
    # Type and size are checked by the service on the bytes; the form only asks for a file.
    file = FileField(
        "Photo or PDF",
        validators=[FileRequired(message="Choose a file to attach.")],
        description="JPEG, PNG, GIF, WebP or PDF.",
        # A hint for the file picker only; the server decides by the bytes.
        render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp,application/pdf"},
    )
