"""Incident pages: thin views over services.py, scope.py, clusters.py and queries.py."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..attachments.services import panel as attachment_panel
from ..audit.services import latest_events
from ..extensions import db
from ..models import DECISIONS, FISHBONE, MEANINGS, Action, Complaint, Incident
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..press import one_voice
from ..reports import build_incident_report
from ..signatures.services import signatures_for
from ..web.csv_export import csv_response
from ..web.filters import FilterParser, whole_number
from ..web.forms import conflict_page
from ..web.pagination import paginate
from ..web.submit import submit
from ..web.transitions import Moves, register_moves
from ..workflow import INCIDENT, consequences
from . import bp, clusters, queries, scope, services
from .forms import TRANSITION_FORMS, EditIncidentForm, HoldForm, IncidentForm, LinkForm, TraceForm
from .report_data import incident_report_data

MAX_COMPLAINTS = 200


def _ids(values) -> list[int]:
    """Record ids from repeated arguments (?complaint=1&complaint=2); bad values are ignored."""
    return sorted({n for v in values[:MAX_COMPLAINTS] if (n := whole_number(v))})


def _form_data(form: IncidentForm) -> dict:
    fields = services.EDITABLE_FIELDS if isinstance(form, EditIncidentForm) else services.CREATE_FIELDS
    return {name: getattr(form, name).data for name in fields}


@bp.route("/", endpoint="list")
@permission_required(Permission.INCIDENT_VIEW)
def list_incidents():
    filters = queries.IncidentFilters.from_args(request.args)
    page = paginate(
        filters.statement(),
        page=FilterParser(request.args).page(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=100,
    )
    for message in filters.errors:
        flash(message, "warning")
    refs = queries.complaint_references(db.session, [i.id for i in page.items])
    recall_refs = queries.recall_references(db.session, [i.id for i in page.items])
    return render_template("incidents/list.html", page=page, filters=filters, refs=refs, recall_refs=recall_refs)


@bp.route("/export.csv")
@permission_required(Permission.INCIDENT_VIEW)
def export():
    filters = queries.IncidentFilters.from_args(request.args)
    rows = queries.csv_rows(db.session, filters.statement())
    return csv_response(f"incidents-{utcnow():%Y%m%d-%H%M}.csv", queries.CSV_HEADER, rows)


@bp.route("/clusters", endpoint="clusters")
@permission_required(Permission.INCIDENT_VIEW)
def clusters_page():
    groups, looked_at = clusters.clusters()
    return render_template("incidents/clusters.html", groups=groups, looked_at=looked_at, days=clusters.CLUSTER_DAYS)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.INCIDENT_EDIT)
def create():
    ids = _ids(request.args.getlist("complaint"))
    complaints = db.session.scalars(
        sa.select(Complaint)
        .where(Complaint.id.in_(ids))
        .options(so.joinedload(Complaint.product))
        .order_by(Complaint.reference)
    ).all()
    if not complaints:
        flash("Tick the complaints the incident is about, then press “Open incident from ticked”.", "warning")
        return redirect(url_for("complaints.list"))
    form = IncidentForm()
    form.set_choices(services.owners())
    if request.method == "GET":
        form.severity.data, form.probability.data = services.risk_defaults(complaints)
        form.owner_id.data = current_user.id
        if len(complaints) == 1:
            form.title.data = f"{complaints[0].category_label}: {complaints[0].product.label}"[:200]
            form.description.data = complaints[0].description
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: services.create_incident([c.id for c in complaints], _form_data(form), current_user),
            success_url=lambda incident: url_for("incidents.detail", incident_id=incident.id),
            done=lambda incident: f"Incident {incident.reference} opened.",
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("incidents/form.html", form=form, incident=None, complaints=complaints), status


# The page's collections and what each row shows of its relations: one statement each.
DETAIL_LOAD = (
    so.selectinload(Incident.complaints).joinedload(Complaint.product),
    so.selectinload(Incident.actions).joinedload(Action.owner),
)


@bp.route("/<int:incident_id>")
@permission_required(Permission.INCIDENT_VIEW)
def detail(incident_id: int):
    return _render_detail(incident_id)


def _render_detail(incident_id: int, status: int = 200, **forms):
    incident = db.first_or_404(sa.select(Incident).where(Incident.id == incident_id).options(*DETAIL_LOAD))
    complaints, actions = incident.complaints, incident.actions
    named, upstream, unknown = scope.root_choices([c.id for c in complaints])
    editable = services.can_edit(incident, current_user)
    timeline, timeline_total = latest_events("incident", incident.id)
    return render_template(
        "incidents/detail.html",
        incident=incident,
        complaints=complaints,
        named_lots=named,
        upstream_lots=upstream,
        unknown_lots=unknown,
        snapshot=scope.snapshot(incident),
        actions=actions,
        steps=queries.eight_d(incident, actions),
        signatures=signatures_for("incident", [incident.id]),
        timeline=timeline,
        timeline_total=timeline_total,
        attachments=attachment_panel("incident", incident.id, current_user),
        field_labels=services.FIELD_LABELS,
        transitions=INCIDENT.available(incident, current_user),
        can_edit=editable,
        can_hold=services.can_hold(incident, current_user),
        recalls=services.recalls_of(incident),
        recall_refusal=consequences.recall_refusal(incident, None),
        link_form=forms.get("link_form") or LinkForm(),
        trace_form=forms.get("trace_form") or TraceForm(),
        hold_form=forms.get("hold_form") or HoldForm(),
        approved_words=one_voice.for_incident(incident.id),
        FISHBONE=FISHBONE,
        DECISIONS=DECISIONS,
        MEANINGS=MEANINGS,
    ), status


@bp.route("/<int:incident_id>/report.pdf", endpoint="report")
@permission_required(Permission.INCIDENT_VIEW)
def report(incident_id: int):
    incident = db.get_or_404(Incident, incident_id)
    pdf = build_incident_report(incident_report_data(incident))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{incident.reference}.pdf"'},
    )


@bp.route("/<int:incident_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.INCIDENT_EDIT)
def edit(incident_id: int):
    incident = db.get_or_404(Incident, incident_id)
    services.check_editable(incident, current_user)  # 403 / 409 before any form
    form = EditIncidentForm(obj=incident if request.method == "GET" else None)
    form.set_choices(services.owners())
    if request.method == "GET":
        form.version.data = incident.version
        form.set_whys([w.text for w in incident.whys])
    elif form.validate_on_submit():

        def stale():
            return conflict_page(
                form,
                Incident,
                incident_id,
                "incident",
                lambda saved: render_template("incidents/form.html", form=form, incident=saved, conflict=saved),
            )

        answer = submit(
            form,
            lambda: services.update_incident(
                incident, _form_data(form), form.whys(), current_user, form.opened_version()
            ),
            success_url=url_for("incidents.detail", incident_id=incident.id),
            done=lambda _: f"Incident {incident.reference} saved.",
            on_stale=stale,
            error_page=(403, 409),
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("incidents/form.html", form=form, incident=incident), status


def _post_on_detail(incident: Incident, form, form_name: str, action, done: str):
    """Run `action()` for a small form on the incident page: commit and redirect, or show why not."""
    if form.validate_on_submit():
        answer = submit(
            form,
            action,
            success_url=url_for("incidents.detail", incident_id=incident.id),
            done=lambda result: done.format(result=result),
        )
        if not isinstance(answer, int):
            return answer
        return _render_detail(incident.id, answer, **{form_name: form})
    for messages in form.errors.values():
        for message in messages:
            flash(message, "danger")
    return _render_detail(incident.id, 422, **{form_name: form})


@bp.route("/<int:incident_id>/complaints", methods=["POST"])
@permission_required(Permission.INCIDENT_EDIT)
def link(incident_id: int):
    incident = db.get_or_404(Incident, incident_id)
    form = LinkForm()
    return _post_on_detail(
        incident,
        form,
        "link_form",
        lambda: services.link_complaint(incident, form.reference.data, current_user).reference,
        "{result} linked.",
    )


@bp.route("/<int:incident_id>/trace", methods=["POST"])
@permission_required(Permission.INCIDENT_EDIT)
def trace(incident_id: int):
    incident = db.get_or_404(Incident, incident_id)
    form = TraceForm()
    roots = _ids(request.form.getlist("root"))
    return _post_on_detail(
        incident,
        form,
        "trace_form",
        lambda: scope.store_trace(incident, roots, form.lot_code.data, current_user),
        "Traced and stored: {result[lots]} affected lots from {result[roots]} root lot(s), "
        "{result[consignees]} consignee(s).",
    )


@bp.route("/<int:incident_id>/hold", methods=["POST"])
@permission_required(Permission.INCIDENT_EDIT)
def hold(incident_id: int):
    incident = db.get_or_404(Incident, incident_id)
    form = HoldForm()
    return _post_on_detail(
        incident,
        form,
        "hold_form",
        lambda: scope.hold_affected(incident, form.reason.data, current_user).message(),
        "{result}",
    )


def _prepare_move(form, incident: Incident, move) -> dict:
    if request.method == "GET" and move.name == "contain":
        form.containment.data = incident.containment
    # What still blocks closing, said before anyone types a summary and a password.
    return {"blockers": consequences.closing_blockers(incident) if move.name == "close" else []}


register_moves(
    bp,
    "/<int:incident_id>",
    "transition",
    Permission.INCIDENT_VIEW,
    Moves(
        model=Incident,
        workflow=INCIDENT,
        forms=TRANSITION_FORMS,
        detail_url=lambda i: url_for("incidents.detail", incident_id=i.id),
        apply=services.apply_transition,
        summary="incidents/_move_summary.html",
        prepare=_prepare_move,
    ),
)
