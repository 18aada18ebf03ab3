"""The recall PDFs: the 21 CFR 7.53 status report and the full recall report (shown inline)."""

from flask import Response

from ..extensions import db
from ..models import Recall
from ..permissions import Permission, permission_required
from ..reports.recall import build_recall_report, build_status_report
from . import bp
from .report_data import recall_report_data


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.route("/<int:recall_id>/status-report.pdf", endpoint="status_report")
@permission_required(Permission.RECALL_VIEW)
def status_report(recall_id: int):
    recall = db.get_or_404(Recall, recall_id)
    pdf = build_status_report(recall_report_data(recall, with_timeline=False))
    return _pdf(pdf, f"{recall.reference}-status.pdf")


@bp.route("/<int:recall_id>/report.pdf", endpoint="report")
@permission_required(Permission.RECALL_VIEW)
def report(recall_id: int):
    recall = db.get_or_404(Recall, recall_id)
    return _pdf(build_recall_report(recall_report_data(recall)), f"{recall.reference}-report.pdf")
