"""Complaint pages: thin views over services.py and queries.py."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..attachments.services import panel as attachment_panel
from ..audit.services import events_for
from ..extensions import db
from ..incidents.services import suggest_incidents
from ..models import CATEGORIES, Complaint, Product
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..press import one_voice
from ..trace.services import lots_named_in
from ..web.csv_export import csv_response
from ..web.filters import FilterParser
from ..web.forms import warn_stale
from ..web.pagination import paginate
from ..web.submit import submit
from ..web.transitions import Moves, register_moves
from ..web.zones import local_to_utc, user_zone
from ..workflow import COMPLAINT
from . import bp, customers, queries, services
from .forms import TRANSITION_FORMS, CommentForm, ComplaintForm


def _choices(form: ComplaintForm) -> None:
    products = db.session.scalars(sa.select(Product).where(Product.kind == "finished").order_by(Product.sku))
    form.set_choices(customers.select_choices(), products)


def _form_data(form: ComplaintForm) -> dict:
    data = {name: getattr(form, name).data for name in services.EDITABLE_FIELDS}
    data["received_at"] = local_to_utc(form.received_at.data, user_zone().key)
    data["new_customer_name"] = form.new_customer_name.data
    if form.customer_search:
        data["customer_name"] = form.customer_name.data
    return data


def _render_form(form: ComplaintForm, complaint, status: int, conflict=None):
    if form.customer_search and form.customer_name.errors:
        # Without JS the datalist is the server's: offer what matches the name that was refused.
        form.customer_suggestions = customers.lookup(form.customer_name.data)
    return render_template("complaints/form.html", form=form, complaint=complaint, conflict=conflict), status


@bp.route("/customers.json")
@permission_required(Permission.COMPLAINT_CREATE)
def customer_lookup():
    """Suggestions for the customer field: [{id, name}], at most customers.LOOKUP_LIMIT."""
    matches = customers.lookup(request.args.get("q"))
    return jsonify(customers=[{"id": m.id, "name": m.name} for m in matches])


@bp.route("/", endpoint="list")
@permission_required(Permission.COMPLAINT_VIEW)
def list_complaints():
    filters = queries.ComplaintFilters.from_args(request.args)
    page = paginate(
        filters.statement(user_zone()),
        page=FilterParser(request.args).page(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=100,
    )
    products = db.session.scalars(sa.select(Product).order_by(Product.sku)).all()
    for message in filters.errors:
        flash(message, "warning")
    return render_template("complaints/list.html", page=page, filters=filters, products=products, categories=CATEGORIES)


@bp.route("/export.csv")
@permission_required(Permission.COMPLAINT_VIEW)
def export():
    filters = queries.ComplaintFilters.from_args(request.args)
    rows = queries.csv_rows(db.session, filters.statement(user_zone()))
    name = f"complaints-{utcnow():%Y%m%d-%H%M}.csv"
    return csv_response(name, queries.CSV_HEADER, rows)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.COMPLAINT_CREATE)
def create():
    form = ComplaintForm()
    _choices(form)
    if request.method == "GET":
        form.received_at.data = utcnow().astimezone(user_zone()).replace(tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: services.create_complaint(_form_data(form), current_user),
            success_url=lambda complaint: url_for("complaints.detail", complaint_id=complaint.id),
            done=lambda complaint: f"Complaint {complaint.reference} logged.",
        )
        if not isinstance(answer, int):
            return answer
    return _render_form(form, None, 422 if request.method == "POST" else 200)


@bp.route("/<int:complaint_id>")
@permission_required(Permission.COMPLAINT_VIEW)
def detail(complaint_id: int):
    # The people and things the page names come with the complaint, not one query each.
    complaint = db.session.scalar(
        sa.select(Complaint)
        .where(Complaint.id == complaint_id)
        .options(
            so.joinedload(Complaint.customer),
            so.joinedload(Complaint.product),
            so.joinedload(Complaint.investigator),
            so.joinedload(Complaint.created_by),
        )
    )
    if complaint is None:
        abort(404)
    return _render_detail(complaint, CommentForm())


def _render_detail(complaint: Complaint, comment_form: CommentForm, status: int = 200):
    known_lots, unknown_lots = lots_named_in([complaint.id])
    return render_template(
        "complaints/detail.html",
        complaint=complaint,
        timeline=events_for("complaint", complaint.id),
        transitions=COMPLAINT.available(complaint, current_user),
        can_edit=services.can_edit(complaint, current_user),
        comment_form=comment_form,
        field_labels=services.FIELD_LABELS,
        known_lots=known_lots,
        unknown_lots=unknown_lots,
        suggestions=suggest_incidents(complaint, known=known_lots),
        attachments=attachment_panel("complaint", complaint.id, current_user),
        approved_words=one_voice.for_complaint(complaint.id),
    ), status


@bp.route("/<int:complaint_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.COMPLAINT_EDIT)
def edit(complaint_id: int):
    complaint = db.get_or_404(Complaint, complaint_id)
    if not services.can_edit(complaint, current_user):
        abort(403, description="A complaint can only be edited by sales until it is triaged.")
    form = ComplaintForm(obj=complaint if request.method == "GET" else None)
    _choices(form)
    if request.method == "GET":
        form.version.data = complaint.version
        form.customer_name.data = complaint.customer.name
        form.received_at.data = complaint.received_at.astimezone(user_zone()).replace(tzinfo=None)
    elif form.validate_on_submit():

        def stale():
            conflict = db.get_or_404(Complaint, complaint_id)
            warn_stale(form, conflict, "complaint")
            return _render_form(form, conflict, 409, conflict)

        answer = submit(
            form,
            lambda: services.update_complaint(complaint, _form_data(form), current_user, form.opened_version()),
            success_url=url_for("complaints.detail", complaint_id=complaint.id),
            done=lambda _: f"Complaint {complaint.reference} saved.",
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    return _render_form(form, complaint, 422 if request.method == "POST" else 200)


def _prepare_move(form, complaint: Complaint, move) -> dict:
    if move.name != "triage":
        return {}
    form.set_choices(services.investigators())
    return {"complaint": complaint, "suggestions": suggest_incidents(complaint)}


register_moves(
    bp,
    "/<int:complaint_id>",
    "transition",
    Permission.COMPLAINT_VIEW,
    Moves(
        model=Complaint,
        workflow=COMPLAINT,
        forms=TRANSITION_FORMS,
        detail_url=lambda c: url_for("complaints.detail", complaint_id=c.id),
        apply=lambda c, name, data, actor, password: services.apply_transition(c, name, data, actor),
        summary="complaints/_move_summary.html",
        prepare=_prepare_move,
    ),
)


@bp.route("/<int:complaint_id>/comments", methods=["POST"])
@permission_required(Permission.COMMENT)
def comment(complaint_id: int):
    complaint = db.get_or_404(Complaint, complaint_id)
    form = CommentForm()
    if form.validate_on_submit():
        services.add_comment(complaint, form.body.data, current_user)
        db.session.commit()
        flash("Comment added.", "success")
        return redirect(url_for("complaints.detail", complaint_id=complaint.id) + "#timeline")
    for message in form.body.errors:
        flash(message, "danger")
    return _render_detail(complaint, form, 422)
