"""CAPA action pages: thin views over services.py and queries.py."""

from flask import abort, current_app, flash, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from ..audit.services import events_for
from ..extensions import db
from ..models import ACTION_KINDS, Action, Incident
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..signatures.services import signatures_for
from ..web.csv_export import csv_response
from ..web.filters import FilterParser
from ..web.forms import warn_stale
from ..web.pagination import paginate
from ..web.submit import submit
from ..web.transitions import Moves, register_moves
from ..workflow import ACTION
from . import bp, queries, services
from .forms import TRANSITION_FORMS, ActionForm, JustifyForm, NewActionForm


def _detail_url(action: Action) -> str:
    return url_for("capa.detail", action_id=action.id)


def incident_url(incident_id: int) -> str | None:
    """The incident page, if the incidents blueprint provides one."""
    try:
        return url_for("incidents.detail", incident_id=incident_id)
    except BuildError:
        return None


@bp.route("/", endpoint="list")
@permission_required(Permission.ACTION_VIEW)
def list_actions():
    filters = queries.ActionFilters.from_args(request.args)
    page = paginate(
        filters.statement(services.today()),
        page=FilterParser(request.args).page(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=100,
    )
    for message in filters.errors:
        flash(message, "warning")
    owners = queries.owner_filter_choices()
    return render_template(
        "capa/list.html", page=page, filters=filters, owners=owners, kinds=ACTION_KINDS, today=services.today()
    )


@bp.route("/export.csv")
@permission_required(Permission.ACTION_VIEW)
def export():
    filters = queries.ActionFilters.from_args(request.args)
    today = services.today()
    rows = queries.csv_rows(db.session, filters.statement(today), today)
    return csv_response(f"actions-{utcnow():%Y%m%d-%H%M}.csv", queries.CSV_HEADER, rows)


@bp.route("/mine")
@permission_required(Permission.ACTION_VIEW)
def mine():
    actions = db.session.scalars(queries.mine_statement(current_user)).all()
    return render_template("capa/mine.html", actions=actions, today=services.today())


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.ACTION_CREATE)
def create():
    incident_id = FilterParser(request.args).record_id("incident")
    incident = db.get_or_404(Incident, incident_id) if incident_id else abort(404)
    services.check_incident_open(incident)  # a clear 409 before any form
    form = NewActionForm()
    form.set_choices(services.owner_choices())
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: services.create_action(incident, form.to_data(), current_user),
            success_url=_detail_url,
            done=lambda action: f"Action {action.reference} added to {incident.reference}.",
            error_page=(403, 409),
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template(
        "capa/form.html", form=form, action=None, incident=incident, incident_url=incident_url(incident.id)
    ), status


@bp.route("/<int:action_id>")
@permission_required(Permission.ACTION_VIEW)
def detail(action_id: int):
    return _render_detail(db.get_or_404(Action, action_id), JustifyForm())


def _render_detail(action: Action, justify_form: JustifyForm, status: int = 200):
    return render_template(
        "capa/detail.html",
        action=action,
        today=services.today(),
        incident_url=incident_url(action.incident_id),
        timeline=events_for("action", action.id),
        field_labels=services.FIELD_LABELS,
        signatures=signatures_for("action", [action.id]),
        transitions=ACTION.available(action, current_user),
        can_edit=services.can_edit(action, current_user),
        can_justify=services.can_justify(action, current_user),
        justify_form=justify_form,
    ), status


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ACTION_VIEW)
def edit(action_id: int):
    action = db.get_or_404(Action, action_id)
    if not services.can_edit(action, current_user):
        abort(403, description="An action can only be edited by production or its owner, while planned or in progress.")
    form = ActionForm(obj=action if request.method == "GET" else None)
    form.set_choices(services.owner_choices())
    if request.method == "GET":
        form.version.data = action.version
    elif form.validate_on_submit():

        def stale():
            conflict = db.get_or_404(Action, action_id)
            warn_stale(form, conflict, "action")
            return render_template("capa/form.html", form=form, action=conflict, conflict=conflict), 409

        answer = submit(
            form,
            lambda: services.update_action(action, form.to_data(), current_user, form.opened_version()),
            success_url=_detail_url(action),
            done=lambda _: f"Action {action.reference} saved.",
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("capa/form.html", form=form, action=action, conflict=None), status


def _prepare_move(form, action: Action, move) -> dict:
    if move.signature:
        form.set_meaning(move.signature)  # a signed move has one meaning: offer only that one
    return {}


register_moves(
    bp,
    "/<int:action_id>",
    "transition",
    Permission.ACTION_VIEW,
    Moves(
        model=Action,
        workflow=ACTION,
        forms=TRANSITION_FORMS,
        detail_url=_detail_url,
        apply=lambda a, name, data, actor, password: services.apply_transition(a, name, data, actor),
        summary="capa/_move_summary.html",
        prepare=_prepare_move,
    ),
)


@bp.route("/<int:action_id>/justify", methods=["POST"])
@permission_required(Permission.ACTION_CREATE)
def justify(action_id: int):
    action = db.get_or_404(Action, action_id)
    form = JustifyForm()
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: services.justify(action, form.justification.data, current_user),
            success_url=_detail_url(action),
            done=f"Justification recorded on {action.reference}.",
            error_page=(403, 409),
        )
        if not isinstance(answer, int):
            return answer
    for message in form.justification.errors:
        flash(message, "danger")
    return _render_detail(action, form, 422)
