"""Bulk import pages: upload a file, then follow the job until it is done or refused."""

from datetime import UTC, datetime

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import Permission, permission_required
from . import bp, jobs
from .forms import ImportForm
from .specs import SPECS


@bp.route("/<kind>", methods=["GET", "POST"])
@permission_required(Permission.LOTS_IMPORT)
def upload(kind: str):
    spec = SPECS.get(kind)
    if spec is None:
        abort(404)
    form = ImportForm()
    if form.validate_on_submit():
        job_id = jobs.start(kind, form.file.data, current_user)
        return redirect(url_for("imports.job", job_id=job_id))
    status = 422 if request.method == "POST" else 200
    return render_template("imports/upload.html", form=form, spec=spec, specs=SPECS), status


def _view(status: dict) -> dict:
    """What the job page shows: times as datetimes, percent done, rows per second."""
    started = datetime.fromtimestamp(status["started"], UTC)
    last = status.get("finished") or status.get("updated") or status["started"]
    elapsed = max(last - status["started"], 1e-6)
    total = status.get("bytes_total")
    return {
        **status,
        "started_at": started,
        "elapsed": elapsed,
        "percent": int(100 * status.get("bytes_done", 0) / total) if total else None,
        "rate": int(status.get("rows", 0) / elapsed),
        "spec": SPECS[status["kind"]],
    }


@bp.route("/job/<job_id>")
@permission_required(Permission.LOTS_IMPORT)
def job(job_id: str):
    status = jobs.load(job_id)
    if status is None:
        abort(404)
    # Reload while the import runs, so the progress moves; ?refresh=off stops it (WCAG 2.2.1:
    # a page that times itself must let the user turn that off).
    refresh = status["state"] == "running" and request.args.get("refresh") != "off"
    response = render_template("imports/job.html", job=_view(status), refresh=refresh)
    if refresh:
        return response, 200, {"Refresh": "2"}  # as well as the meta tag, for clients that skip it in <body>
    return response
