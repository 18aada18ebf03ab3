"""Lot pages: thin views over engine.py (queries) and services.py (rules)."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit.services import events_for
from ..extensions import db
from ..models import LOT_KINDS, Complaint, Lot, Product
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..press import one_voice
from ..web.csv_export import csv_response
from ..web.filters import FilterParser, whole_number
from ..web.pagination import paginate
from ..web.submit import submit
from ..workflow import LOT
from . import bp, engine, services
from .forms import StatusForm
from .queries import CSV_HEADER, LotFilters, csv_rows

MAX_ROOTS = 200
TRACE_ROWS_SHOWN = 1000


def _ids_from_args(name: str) -> list[int]:
    """Record ids from repeated query arguments (?root=1&root=2); bad values are ignored."""
    values = []
    for raw in request.args.getlist(name)[:MAX_ROOTS]:
        if number := whole_number(raw):
            values.append(number)
    return sorted(set(values))


def _status_form(back: str) -> StatusForm | None:
    moves = services.lot_moves(current_user)
    if not moves:
        return None
    form = StatusForm(back=back)
    form.move.choices = [(t.name, t.label) for t in moves]
    return form


@bp.route("/", endpoint="lots")
@permission_required(Permission.LOTS_VIEW)
def list_lots():
    filters = LotFilters.from_args(request.args)
    stmt = filters.statement()
    if request.args.get("format") == "csv":
        return csv_response(f"lots-{utcnow():%Y%m%d}.csv", CSV_HEADER, csv_rows(stmt))
    page = paginate(stmt, page=FilterParser(request.args).page(), per_page=current_app.config["PER_PAGE"])
    for message in filters.errors:
        flash(message, "warning")
    products = db.session.scalars(sa.select(Product).order_by(Product.sku)).all()
    return render_template("trace/lots.html", page=page, filters=filters, products=products, kinds=LOT_KINDS)


@bp.route("/<int:lot_id>")
@permission_required(Permission.LOTS_VIEW)
def lot(lot_id: int):
    lot = db.session.scalar(sa.select(Lot).options(so.joinedload(Lot.product)).where(Lot.id == lot_id))
    if lot is None:
        abort(404)
    upstream = engine.reach_count([lot.id], "backward")
    downstream = engine.reach_count([lot.id], "forward")
    up_tree, up_cut = services.build_tree(engine.tree_edges(lot.id, "backward"), lot.id)
    down_tree, down_cut = services.build_tree(engine.tree_edges(lot.id, "forward"), lot.id)
    return render_template(
        "trace/lot.html",
        lot=lot,
        upstream=upstream,
        downstream=downstream,
        up_tree=up_tree,
        up_cut=up_cut,
        down_tree=down_tree,
        down_cut=down_cut,
        shipments=engine.shipments([lot.id], limit=200),
        consignees=engine.consignees(engine.affected_ids([lot.id])),
        complaints=services.complaints_about(lot),
        timeline=events_for("lot", lot.id),
        field_labels={},
        status_form=_status_form(url_for("trace.lot", lot_id=lot.id)),
        moves=[t for t in LOT.available(lot, current_user)],
        approved_words=one_voice.for_lot(lot.id),
    )


@bp.route("/trace")
@permission_required(Permission.LOTS_VIEW)
def forward():
    roots = _ids_from_args("root")
    root_rows = db.session.execute(
        sa.select(*engine.LOT_COLUMNS).join(Lot.product).where(Lot.id.in_(roots)).order_by(Lot.code)
    ).all()
    if not root_rows:
        flash("Choose a lot to trace from: open a lot and press “Trace forward”.", "warning")
        return redirect(url_for("trace.lots"))
    root_ids = [r.id for r in root_rows]
    affected, consignees = engine.forward_with_consignees(root_ids)
    by_status: dict[str, int] = {}
    for row in [*root_rows, *affected]:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    return render_template(
        "trace/forward.html",
        roots=root_rows,
        affected=affected[:TRACE_ROWS_SHOWN],
        affected_total=len(affected),
        consignees=consignees,
        by_status=by_status,
        status_form=_status_form(request.full_path),
        root_ids=root_ids,
    )


@bp.route("/trace.csv")
@permission_required(Permission.LOTS_VIEW)
def export():
    roots = _ids_from_args("root")
    if not roots:
        abort(404, description="Choose at least one lot to trace from.")
    name = f"trace-{utcnow():%Y%m%d-%H%M}.csv"
    return csv_response(name, services.FSMA_HEADER, services.trace_rows(roots))


@bp.route("/status", methods=["POST"])
@permission_required(Permission.LOTS_VIEW)
def status():
    moves = services.lot_moves(current_user)
    if not moves:
        abort(403)
    form = StatusForm()
    form.move.choices = [(t.name, t.label) for t in moves]
    back = (
        form.back.data
        if form.back.data and form.back.data.startswith("/") and not form.back.data.startswith("//")
        else url_for("trace.lots")
    )
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(back)
    # Bad values ("²", 30 digits: past INTEGER, the driver would fail) are dropped.
    roots = [n for v in request.form.getlist("root") if (n := whole_number(v))][:MAX_ROOTS]
    chosen = [n for v in request.form.getlist("lot") if (n := whole_number(v))]
    lots = engine.affected_ids(roots) if form.scope.data == "all" and roots else chosen

    def moved(result):
        flash(result.message(), "success" if result.moved else "warning")
        return redirect(back)

    answer = submit(
        form,
        lambda: services.change_status(lots, form.move.data, form.reason.data, current_user),
        on_success=moved,
        kind="lot",
        stale_url=back,
    )
    # A refusal is flashed (as a form error would be) on the page the button was on.
    return answer if not isinstance(answer, int) else redirect(back)


@bp.route("/common-cause")
@permission_required(Permission.LOTS_VIEW)
def common_cause():
    complaint_ids = _ids_from_args("complaint")
    complaints = db.session.scalars(
        sa.select(Complaint).where(Complaint.id.in_(complaint_ids)).order_by(Complaint.reference)
    ).all()
    lots, unknown = services.lots_named_in([c.id for c in complaints])
    shared = engine.common_cause([lot.id for lot in lots])
    return render_template("trace/common_cause.html", complaints=complaints, lots=lots, unknown=unknown, shared=shared)
