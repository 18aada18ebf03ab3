"""Products and customers: lists for everyone, editing and CSV import for admins."""

import sqlalchemy as sa
from flask import current_app, flash, render_template, request, url_for
from flask_login import current_user

from ..csv_import import ImportRefused, ImportResult
from ..extensions import db
from ..models import CUSTOMER_KINDS, PRODUCT_KINDS, Customer, Product
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..web.csv_export import csv_response
from ..web.filters import FilterParser, like_pattern
from ..web.pagination import paginate
from ..web.submit import submit
from . import bp, masterdata
from .forms import UploadForm

PAGES = {
    "product": dict(
        entity=masterdata.PRODUCTS,
        model=Product,
        list="admin.products",
        title="Products",
        kinds=PRODUCT_KINDS,
        search=("sku", "name"),
        order="sku",
    ),
    "customer": dict(
        entity=masterdata.CUSTOMERS,
        model=Customer,
        list="admin.customers",
        title="Customers",
        kinds=CUSTOMER_KINDS,
        search=("name", "email", "country"),
        order="name",
    ),
}


def _list(kind: str):
    page_def = PAGES[kind]
    model = page_def["model"]
    parser = FilterParser(request.args)
    q = parser.text("q")
    stmt = sa.select(model).order_by(getattr(model, page_def["order"]))
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(sa.or_(*[getattr(model, c).ilike(pattern, escape="\\") for c in page_def["search"]]))
    if request.args.get("format") == "csv":
        fields = page_def["entity"].fields
        return csv_response(f"{kind}s-{utcnow():%Y%m%d}.csv", list(fields), _csv_rows(stmt, fields))
    page = paginate(stmt, page=parser.page(), per_page=current_app.config["PER_PAGE"])
    return render_template(f"admin/{kind}s.html", page=page, q=q, kinds=page_def["kinds"])


def _csv_rows(stmt: sa.Select, fields):
    """Read in batches when the response is streamed, in that context's session: a query
    started in the view loses its session when the view's context ends."""
    for record in db.session.scalars(stmt.execution_options(yield_per=1000)):
        yield [getattr(record, f) for f in fields]


def _edit(kind: str, record_id: int | None):
    page_def = PAGES[kind]
    entity = page_def["entity"]
    record = db.get_or_404(page_def["model"], record_id) if record_id else None
    form = entity.form(obj=record if request.method == "GET" else None)
    if request.method == "GET" and record:
        form.version.data = record.version
    if form.validate_on_submit():
        values = {f: getattr(form, f).data for f in entity.fields}

        def save():
            if record is None:
                return masterdata.create(entity, values, current_user)
            masterdata.update(entity, record, values, current_user, form.opened_version())
            return record

        def stale():
            flash(
                f"This {kind} was changed by someone else since you opened it. Your values are "
                "kept below; reload the page to see the saved ones.",
                "warning",
            )
            return render_template(
                "admin/masterdata_form.html",
                form=form,
                record=record,
                kind=kind,
                list_endpoint=page_def["list"],
            ), 409

        answer = submit(
            form,
            save,
            success_url=url_for(page_def["list"]),
            done=lambda saved: f"{kind.capitalize()} {getattr(saved, entity.key)} saved.",
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/masterdata_form.html", form=form, record=record, kind=kind, list_endpoint=page_def["list"]
    ), status


def _import(kind: str):
    page_def = PAGES[kind]
    form = UploadForm()
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: masterdata.import_csv(page_def["entity"], form.file.data.stream, current_user),
            success_url=url_for(page_def["list"]),
            done=lambda result: f"Import done: {result.summary()}.",
            # The page lists the bad rows; no flash.
            on_error=lambda error: _import_page(kind, form, error.result) if isinstance(error, ImportRefused) else None,
        )
        if not isinstance(answer, int):
            return answer
    return _import_page(kind, form, None, 422 if request.method == "POST" else 200)


def _import_page(kind: str, form: UploadForm, result: ImportResult | None, status: int = 422):
    page_def = PAGES[kind]
    required, optional = page_def["entity"].columns
    return render_template(
        "admin/import.html",
        form=form,
        result=result,
        kind=kind,
        required=required,
        optional=optional,
        kinds=page_def["kinds"],
        list_endpoint=page_def["list"],
    ), status


@bp.route("/products")
@permission_required(Permission.MASTERDATA_VIEW)
def products():
    return _list("product")


@bp.route("/products/new", methods=["GET", "POST"])
@permission_required(Permission.MASTERDATA_EDIT)
def product_create():
    return _edit("product", None)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@permission_required(Permission.MASTERDATA_EDIT)
def product_edit(product_id: int):
    return _edit("product", product_id)


@bp.route("/products/import", methods=["GET", "POST"])
@permission_required(Permission.MASTERDATA_EDIT)
def product_import():
    return _import("product")


@bp.route("/customers")
@permission_required(Permission.MASTERDATA_VIEW)
def customers():
    return _list("customer")


@bp.route("/customers/new", methods=["GET", "POST"])
@permission_required(Permission.MASTERDATA_EDIT)
def customer_create():
    return _edit("customer", None)


@bp.route("/customers/<int:customer_id>", methods=["GET", "POST"])
@permission_required(Permission.MASTERDATA_EDIT)
def customer_edit(customer_id: int):
    return _edit("customer", customer_id)


@bp.route("/customers/import", methods=["GET", "POST"])
@permission_required(Permission.MASTERDATA_EDIT)
def customer_import():
    return _import("customer")
