"""Attachment pages: upload to a record, download through a permission check."""

from flask import abort, current_app, send_file, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..models import Attachment
from ..web.errors import render_error
from ..web.submit import submit
from . import bp, services
from .forms import AttachmentForm

DETAIL_ENDPOINTS = {"complaint": "complaints.detail", "incident": "incidents.detail"}


def _detail_url(record_type: str, record_id: int) -> str:
    return url_for(DETAIL_ENDPOINTS[record_type], **{f"{record_type}_id": record_id}) + "#attachments"


@bp.route("/<record_type>/<int:record_id>", methods=["POST"])
@login_required
def upload(record_type: str, record_id: int):
    record = services.record_or_404(record_type, record_id)
    services.check_upload(record_type, current_user)  # 403 before reading any bytes
    form = AttachmentForm()
    if not form.validate_on_submit():
        message = next(iter(form.file.errors), "Choose a file to attach.")
        return render_error(422, message)
    return submit(
        form,
        lambda: services.add_attachment(record_type, record, form.file.data, current_user),
        success_url=_detail_url(record_type, record_id),
        done=lambda stored: f"{stored[0].download_name} attached.",
        # No form to show it on: the refusal gets the error page (a 403 is raised as always).
        on_error=lambda error: render_error(error.status_code, error.message),
        undo=lambda stored: stored[1].unlink(missing_ok=True),  # the row never made it: no orphan file
    )


@bp.route("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = db.get_or_404(Attachment, attachment_id)
    if not services.can_view(attachment.record_type, current_user):
        abort(403)
    path = services.file_path(attachment)
    if not path.is_file():
        current_app.logger.error("Attachment %s: file %s is missing", attachment.id, path)
        abort(404, description="The file of this attachment is missing; tell an administrator.")
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,  # never rendered by the browser from our origin
        download_name=attachment.download_name,
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
