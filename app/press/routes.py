"""Press pages: inquiries and statements, thin views over services.py, queries.py and
release_data.py (the release PDF is built in app/reports/statement.py)."""

from flask import Response, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user

from ..audit.services import events_for
from ..extensions import db
from ..models import INQUIRY_CHANNELS, MEANINGS, ONE_VOICE_KINDS, STATEMENT_KINDS, PressInquiry, Recall, Statement
from ..models import StatementVersion as Version
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..reports.statement import build_release
from ..signatures.services import signatures_for
from ..web.csv_export import csv_response
from ..web.filters import FilterParser, whole_number
from ..web.forms import conflict_page
from ..web.pagination import paginate
from ..web.submit import submit
from ..web.transitions import Moves, register_moves
from ..workflow import INQUIRY, STATEMENT
from . import bp, queries, services
from .forms import INQUIRY_FORMS, STATEMENT_FORMS, EditStatementForm, InquiryForm, StatementForm, to_local
from .release_data import release_data


@bp.app_template_global()
def statement_kind(kind: str) -> str:
    """The label of a statement kind (used by the one-voice card on every record page)."""
    return STATEMENT_KINDS.get(kind, kind)


def _page(stmt):
    return paginate(
        stmt,
        page=FilterParser(request.args).page(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=100,
    )


def _prefill_links(form) -> None:
    """?incident= / ?recall= opened from an incident or recall page: link the new record to it."""
    # whole_number: an id past what the database holds is ignored like an unknown one, not a 500.
    recall_id = whole_number(request.args.get("recall", ""))
    recall = db.session.get(Recall, recall_id) if recall_id else None
    incident_id = whole_number(request.args.get("incident", ""))
    if recall is not None:
        form.recall_id.data, form.incident_id.data = recall.id, recall.incident_id
    elif incident_id:
        form.incident_id.data = incident_id


def _link_choices(form) -> tuple[list, list]:
    return queries.incident_choices(form.incident_id.data), queries.recall_choices(form.recall_id.data)


# Inquiries


@bp.route("/inquiries/", endpoint="inquiries")
@permission_required(Permission.PRESS_VIEW)
def inquiries():
    filters = queries.InquiryFilters.from_args(request.args)
    now = utcnow()
    if request.args.get("format") == "csv":
        rows = queries.inquiry_csv_rows(filters.statement(now))
        return csv_response(f"press-inquiries-{now:%Y%m%d-%H%M}.csv", queries.INQUIRY_CSV_HEADER, rows)
    page = _page(filters.statement(now))
    for message in filters.errors:
        flash(message, "warning")
    return render_template(
        "press/inquiries.html",
        page=page,
        filters=filters,
        due=queries.due_notes(page.items, now),
        users=queries.press_users(),
        channels=INQUIRY_CHANNELS,
    )


@bp.route("/inquiries/new", methods=["GET", "POST"], endpoint="inquiry_new")
@permission_required(Permission.PRESS_MANAGE)
def inquiry_new():
    form = InquiryForm()
    if request.method == "GET":
        _prefill_links(form)
        form.assignee_id.data = current_user.id
    form.set_choices(queries.press_users(), *_link_choices(form))
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: services.create_inquiry(form.to_data(), current_user),
            success_url=lambda q: url_for("press.inquiry", inquiry_id=q.id),
            done=lambda q: f"Press inquiry {q.reference} logged.",
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("press/inquiry_form.html", form=form, inquiry=None), status


@bp.route("/inquiries/<int:inquiry_id>", endpoint="inquiry")
@permission_required(Permission.PRESS_VIEW)
def inquiry(inquiry_id: int):
    inquiry = db.get_or_404(PressInquiry, inquiry_id)
    return render_template(
        "press/inquiry.html",
        inquiry=inquiry,
        due=queries.due_note(inquiry, utcnow()),
        approved_words=queries.approved_words_for(inquiry),
        timeline=events_for("inquiry", inquiry.id),
        field_labels=services.FIELD_LABELS,
        transitions=INQUIRY.available(inquiry, current_user),
        can_edit=current_user.can(Permission.PRESS_MANAGE) and services.inquiry_editable(inquiry),
        channels=INQUIRY_CHANNELS,
    )


@bp.route("/inquiries/<int:inquiry_id>/edit", methods=["GET", "POST"], endpoint="inquiry_edit")
@permission_required(Permission.PRESS_MANAGE)
def inquiry_edit(inquiry_id: int):
    inquiry = db.get_or_404(PressInquiry, inquiry_id)
    services.check_inquiry_editable(inquiry)  # 409 before any form
    form = InquiryForm(obj=inquiry if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = inquiry.version
        form.deadline.data = to_local(inquiry.deadline)
    form.set_choices(queries.press_users(), *_link_choices(form))
    if request.method == "POST" and form.validate_on_submit():

        def stale():
            return conflict_page(
                form,
                PressInquiry,
                inquiry_id,
                "inquiry",
                lambda saved: render_template("press/inquiry_form.html", form=form, inquiry=saved, conflict=saved),
            )

        answer = submit(
            form,
            lambda: services.update_inquiry(
                inquiry, form.to_data(), current_user, opened_version=form.opened_version()
            ),
            success_url=url_for("press.inquiry", inquiry_id=inquiry.id),
            done=lambda _: f"Press inquiry {inquiry.reference} saved.",
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("press/inquiry_form.html", form=form, inquiry=inquiry), status


def _prepare_inquiry_move(form, inquiry: PressInquiry, move) -> dict:
    if request.method == "GET" and move.name == "answer":
        form.answer.data = inquiry.answer
    return {}


register_moves(
    bp,
    "/inquiries/<int:inquiry_id>",
    "inquiry_transition",
    Permission.PRESS_VIEW,
    Moves(
        model=PressInquiry,
        workflow=INQUIRY,
        forms=INQUIRY_FORMS,
        detail_url=lambda i: url_for("press.inquiry", inquiry_id=i.id),
        apply=lambda i, name, data, actor, password: services.apply_inquiry_transition(i, name, data, actor),
        summary="press/_inquiry_summary.html",
        prepare=_prepare_inquiry_move,
    ),
)


# Statements


@bp.route("/statements/", endpoint="statements")
@permission_required(Permission.PRESS_VIEW)
def statements():
    filters = queries.StatementFilters.from_args(request.args)
    if request.args.get("format") == "csv":
        rows = queries.statement_csv_rows(filters.statement())
        return csv_response(f"press-statements-{utcnow():%Y%m%d-%H%M}.csv", queries.STATEMENT_CSV_HEADER, rows)
    page = _page(filters.statement())
    for message in filters.errors:
        flash(message, "warning")
    return render_template("press/statements.html", page=page, filters=filters, kinds=STATEMENT_KINDS)


@bp.route("/statements/new", methods=["GET", "POST"], endpoint="statement_new")
@permission_required(Permission.PRESS_MANAGE)
def statement_new():
    form = StatementForm()
    if request.method == "GET":
        _prefill_links(form)
    form.set_choices(*_link_choices(form))
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: services.create_statement(form.to_data(), current_user),
            success_url=lambda st: url_for("press.statement", statement_id=st.id),
            done=lambda st: (
                f"Statement {st.reference} saved as a draft (version 1). Send it for approval when it is ready."
            ),
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("press/statement_form.html", form=form, statement=None), status


@bp.route("/statements/<int:statement_id>", endpoint="statement")
@permission_required(Permission.PRESS_VIEW)
def statement(statement_id: int):
    statement = db.get_or_404(Statement, statement_id)
    return render_template(
        "press/statement.html",
        statement=statement,
        versions=queries.versions_with_authors(statement),
        signatures=signatures_for("statement", [statement.id]),
        timeline=events_for("statement", statement.id),
        field_labels=services.FIELD_LABELS,
        transitions=STATEMENT.available(statement, current_user),
        shut_out=STATEMENT.shut_out(statement, current_user),
        can_edit=current_user.can(Permission.PRESS_MANAGE) and STATEMENT.in_set("editable", statement.status),
        one_voice_kind=statement.kind in ONE_VOICE_KINDS,
        MEANINGS=MEANINGS,
    )


@bp.route("/statements/<int:statement_id>/edit", methods=["GET", "POST"], endpoint="statement_edit")
@permission_required(Permission.PRESS_MANAGE)
def statement_edit(statement_id: int):
    statement = db.get_or_404(Statement, statement_id)
    if not STATEMENT.in_set("editable", statement.status):
        abort(409, description=f"Statement {statement.reference} is withdrawn; write a new statement instead.")
    form = EditStatementForm(obj=statement if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = statement.version
    form.set_choices(*_link_choices(form))
    was = (statement.status, statement.current_version)
    if request.method == "POST" and form.validate_on_submit():

        def stale():
            return conflict_page(
                form,
                Statement,
                statement_id,
                "statement",
                lambda saved: render_template("press/statement_form.html", form=form, statement=saved, conflict=saved),
            )

        answer = submit(
            form,
            lambda: services.edit_statement(
                statement, form.to_data(), current_user, note=form.note.data, opened_version=form.opened_version()
            ),
            success_url=url_for("press.statement", statement_id=statement.id),
            done=lambda _: _edit_message(statement, *was),
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("press/statement_form.html", form=form, statement=statement), status


def _edit_message(statement: Statement, old_status: str, old_version: int) -> str:
    if statement.current_version == old_version:
        return f"Statement {statement.reference} saved (the text did not change, so no new version)."
    message = f"Statement {statement.reference} saved as version {statement.current_version}, a draft."
    if old_status in ("approved", "published"):
        message += (
            f" It needs approval again; until then everyone keeps using approved version {statement.approved_version}."
        )
    return message


@bp.route("/statements/<int:statement_id>/versions/<int:number>", endpoint="statement_version")
@permission_required(Permission.PRESS_VIEW)
def statement_version(statement_id: int, number: int):
    statement = db.get_or_404(Statement, statement_id)
    version = db.get_or_404(Version, (statement_id, number))
    against = request.args.get("against", number - 1, type=int)
    previous = db.session.get(Version, (statement_id, against)) if 0 < against < 2_147_483_647 else None
    return render_template(
        "press/statement_version.html",
        statement=statement,
        version=version,
        previous=previous,
        lines=services.diff_lines(previous, version),
    )


register_moves(
    bp,
    "/statements/<int:statement_id>",
    "statement_transition",
    Permission.PRESS_VIEW,
    Moves(
        model=Statement,
        workflow=STATEMENT,
        forms=STATEMENT_FORMS,
        detail_url=lambda st: url_for("press.statement", statement_id=st.id),
        apply=services.apply_statement_transition,
        summary="press/_statement_summary.html",
        # approval signs one version of the words
        prepare=lambda form, st, move: {"signing_for": f"for version {st.current_version}"},
    ),
)


@bp.route("/statements/<int:statement_id>.pdf", endpoint="statement_pdf")
@permission_required(Permission.PRESS_VIEW)
def statement_pdf(statement_id: int):
    statement = db.get_or_404(Statement, statement_id)
    data = release_data(statement)
    name = f"{statement.reference}-v{data.version}{'' if data.approved_by else '-DRAFT'}.pdf"
    return Response(
        build_release(data),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
