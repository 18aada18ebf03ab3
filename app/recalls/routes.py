"""Recall pages: thin views over services.py and queries.py."""

from flask import abort, current_app, flash, render_template, request, url_for
from flask_login import current_user

from ..audit.services import latest_events
from ..extensions import db
from ..models import CLASSIFICATIONS, DEPTHS, EFFECTIVENESS_LEVELS, MEANINGS, REMEDIES, Incident, Recall
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..press import one_voice
from ..signatures.services import signatures_for
from ..web.csv_export import csv_response
from ..web.filters import FilterParser
from ..web.pagination import paginate
from ..web.submit import submit
from ..web.transitions import Moves, register_moves
from ..workflow import RECALL, consequences
from . import bp, notice_queries, queries, responses, services
from .forms import TRANSITION_FORMS, ProposeForm, lot_codes

LABELS = {
    "classifications": CLASSIFICATIONS,
    "depths": DEPTHS,
    "levels": EFFECTIVENESS_LEVELS,
    "remedies": REMEDIES,
}


@bp.route("/", endpoint="list")
@permission_required(Permission.RECALL_VIEW)
def list_recalls():
    filters = queries.RecallFilters.from_args(request.args)
    if request.args.get("format") == "csv":
        rows = queries.csv_rows(filters.statement())
        return csv_response(f"recalls-{utcnow():%Y%m%d-%H%M}.csv", queries.CSV_HEADER, rows)
    page = paginate(
        filters.statement(),
        page=FilterParser(request.args).page(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=100,
    )
    for message in filters.errors:
        flash(message, "warning")
    counts = queries.lot_counts(r.id for r in page.items)
    return render_template("recalls/list.html", page=page, filters=filters, counts=counts, **LABELS)


def _roots_and_scope(form: ProposeForm) -> tuple[list[int], list[int] | None] | None:
    """Root lot ids and the chosen scope (None: the whole forward trace), or None after
    putting the unknown codes on the form."""
    roots, unknown = queries.lots_by_code(lot_codes(form.root_lots.data))
    if unknown:
        form.root_lots.errors.append(f"No lot has the code: {', '.join(unknown[:20])}.")
    excluded, unknown_excluded = queries.lots_by_code(lot_codes(form.exclude_lots.data))
    if unknown_excluded:
        form.exclude_lots.errors.append(f"No lot has the code: {', '.join(unknown_excluded[:20])}.")
    if unknown or unknown_excluded:
        flash("Some lot codes are not known; correct them and propose again.", "danger")
        return None
    return roots, services.scope_without(roots, excluded)


@bp.route("/propose", methods=["GET", "POST"])
@permission_required(Permission.RECALL_PROPOSE)
def propose():
    incident_id = FilterParser(request.args).record_id("incident")  # 30 digits: past INTEGER
    if not incident_id:
        abort(404)
    incident = db.get_or_404(Incident, incident_id)
    form = ProposeForm()
    if request.method == "GET":
        form.title.data = incident.title
        form.reason.data = incident.decision_reason or incident.root_cause
        form.classification.data = "II"
        form.effectiveness_level.data = "C"
        codes = queries.default_root_codes(incident, [c.id for c in incident.complaints])
        form.root_lots.data = "\n".join(codes)
        if refusal := consequences.recall_refusal(incident, None):
            flash(refusal, "warning")
    form.extends_id.choices += [(r.id, f"{r.reference}: {r.title}") for r in consequences.live_recalls(incident)]
    if form.validate_on_submit() and (chosen := _roots_and_scope(form)):
        roots, scope = chosen
        data = {name: getattr(form, name).data for name in services.FIELDS}
        data["extends_id"] = form.extends_id.data or None
        answer = submit(
            form,
            lambda: services.propose(incident, data, roots, current_user, scope_lot_ids=scope),
            success_url=lambda recall: url_for("recalls.detail", recall_id=recall.id),
            done=lambda recall: f"Recall {recall.reference} proposed; it needs a second person's signed approval.",
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("recalls/form.html", form=form, incident=incident), status


@bp.route("/<int:recall_id>")
@permission_required(Permission.RECALL_VIEW)
def detail(recall_id: int):
    recall = db.get_or_404(Recall, recall_id)
    notices, shipped = queries.notice_summary(recall)
    timeline, timeline_total = latest_events("recall", recall.id)
    return render_template(
        "recalls/detail.html",
        recall=recall,
        scope=queries.scope(recall),
        notices=notices,
        shipped=shipped,
        signatures=signatures_for("recall", [recall.id]),
        timeline=timeline,
        timeline_total=timeline_total,
        field_labels=services.FIELD_LABELS,
        transitions=RECALL.available(recall, current_user),
        shut_out=RECALL.shut_out(recall, current_user),
        figures=responses.effectiveness(recall),
        notice_states=notice_queries.STATES,
        needs=responses.replacement_needs(recall) if recall.remedy == "replace" else [],
        approved_words=one_voice.for_recall(recall),
        MEANINGS=MEANINGS,
        **LABELS,
    )


register_moves(
    bp,
    "/<int:recall_id>",
    "transition",
    Permission.RECALL_VIEW,
    Moves(
        model=Recall,
        workflow=RECALL,
        forms=TRANSITION_FORMS,
        detail_url=lambda r: url_for("recalls.detail", recall_id=r.id),
        apply=services.apply_transition,
        summary="recalls/_move_summary.html",
    ),
)
