"""Press pages: inquiries and statements, thin views over services.py, queries.py and
release_data.py (the release PDF is built in app/reports/statement.py)."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..audit.services import events_for
from ..errors import DomainError, StaleRecord
from ..extensions import db
from ..models import INQUIRY_CHANNELS, MEANINGS, ONE_VOICE_KINDS, STATEMENT_KINDS, PressInquiry, Recall, Statement
from ..models import StatementVersion as Version
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..reports.statement import build_release
from ..signatures.services import signatures_for
from ..web.csv_export import csv_response
from ..web.filters import FilterParser
from ..web.forms import apply_domain_errors, warn_stale
from ..web.pagination import paginate
from ..web.transitions import submit_transition
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
    recall = db.session.get(Recall, request.args.get("recall", 0, type=int) or 0)
    incident_id = request.args.get("incident", 0, type=int)
    if recall is not None:
        form.recall_id.data, form.incident_id.data = recall.id, recall.incident_id
    elif incident_id:
        form.incident_id.data = incident_id


def _link_choices(form) -> tuple[list, list]:
    return queries.incident_choices(form.incident_id.data), queries.recall_choices(form.recall_id.data)


def _save(form, save, done_url, done_message: str):
    """Run a create/edit service call and commit: a redirect, or None with the errors on the form."""
    try:
        record = save()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            raise
        apply_domain_errors(form, error)
        return None
    flash(done_message.format(record=record), "success")
    return redirect(done_url(record))


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
        done = _save(
            form,
            lambda: services.create_inquiry(form.to_data(), current_user),
            lambda q: url_for("press.inquiry", inquiry_id=q.id),
            "Press inquiry {record.reference} logged.",
        )
        if done:
            return done
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
        channels=INQUIRY_CHANNELS,
    )


@bp.route("/inquiries/<int:inquiry_id>/edit", methods=["GET", "POST"], endpoint="inquiry_edit")
@permission_required(Permission.PRESS_MANAGE)
def inquiry_edit(inquiry_id: int):
    inquiry = db.get_or_404(PressInquiry, inquiry_id)
    if inquiry.status == "closed":
        abort(409, description=f"Inquiry {inquiry.reference} is closed; reopen it to change it.")
    form = InquiryForm(obj=inquiry if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = inquiry.version
        form.deadline.data = to_local(inquiry.deadline)
    form.set_choices(queries.press_users(), *_link_choices(form))
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.update_inquiry(inquiry, form.to_data(), current_user, opened_version=form.opened_version())
            db.session.commit()
        except (StaleRecord, StaleDataError):
            db.session.rollback()
            inquiry = db.get_or_404(PressInquiry, inquiry_id)
            warn_stale(form, inquiry, "inquiry")
            return render_template("press/inquiry_form.html", form=form, inquiry=inquiry, conflict=inquiry), 409
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 403:
                raise
            apply_domain_errors(form, error)
        else:
            flash(f"Press inquiry {inquiry.reference} saved.", "success")
            return redirect(url_for("press.inquiry", inquiry_id=inquiry.id))
    status = 422 if request.method == "POST" else 200
    return render_template("press/inquiry_form.html", form=form, inquiry=inquiry), status


@bp.route("/inquiries/<int:inquiry_id>/do/<name>", methods=["GET", "POST"], endpoint="inquiry_transition")
@permission_required(Permission.PRESS_VIEW)
def inquiry_transition(inquiry_id: int, name: str):
    inquiry = db.get_or_404(PressInquiry, inquiry_id)
    if name not in INQUIRY_FORMS:
        abort(404)
    move = INQUIRY.check(inquiry, name, current_user)  # 403 / 409 before any form
    form = INQUIRY_FORMS[name]()
    if request.method == "GET" and name == "answer":
        form.answer.data = inquiry.answer
    status = 422 if request.method == "POST" else 200
    detail_url = url_for("press.inquiry", inquiry_id=inquiry_id)
    if form.validate_on_submit():
        result = submit_transition(
            form,
            lambda: services.apply_inquiry_transition(inquiry, name, form.to_data(), current_user),
            record_type="inquiry",
            record_id=inquiry.id,
            reference=inquiry.reference,
            name=name,
            actor=current_user,
            detail_url=detail_url,
            kind="inquiry",
            done_message=lambda: (
                f"{inquiry.reference}: {move.label.lower()} done — now {INQUIRY.label(inquiry.status).lower()}."
            ),
        )
        if not isinstance(result, int):
            return result
        status = result
    inquiry = db.get_or_404(PressInquiry, inquiry_id)
    return render_template(
        "press/transition.html", record=inquiry, workflow=INQUIRY, form=form, move=move, detail_url=detail_url
    ), status


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
        done = _save(
            form,
            lambda: services.create_statement(form.to_data(), current_user),
            lambda s: url_for("press.statement", statement_id=s.id),
            "Statement {record.reference} saved as a draft (version 1). Send it for approval when it is ready.",
        )
        if done:
            return done
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
        try:
            services.edit_statement(
                statement, form.to_data(), current_user, note=form.note.data, opened_version=form.opened_version()
            )
            db.session.commit()
        except (StaleRecord, StaleDataError):
            db.session.rollback()
            statement = db.get_or_404(Statement, statement_id)
            warn_stale(form, statement, "statement")
            return render_template("press/statement_form.html", form=form, statement=statement, conflict=statement), 409
        except DomainError as error:
            db.session.rollback()
            if error.status_code == 403:
                raise
            apply_domain_errors(form, error)
        else:
            flash(_edit_message(statement, *was), "success")
            return redirect(url_for("press.statement", statement_id=statement.id))
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


@bp.route("/statements/<int:statement_id>/do/<name>", methods=["GET", "POST"], endpoint="statement_transition")
@permission_required(Permission.PRESS_VIEW)
def statement_transition(statement_id: int, name: str):
    statement = db.get_or_404(Statement, statement_id)
    if name not in STATEMENT_FORMS:
        abort(404)
    move = STATEMENT.check(statement, name, current_user)  # 403 / 409 (four eyes too) before any form
    form = STATEMENT_FORMS[name]()
    if request.method == "GET" and move.signature:
        form.meaning.data = move.signature
    status = 422 if request.method == "POST" else 200
    detail_url = url_for("press.statement", statement_id=statement_id)
    if form.validate_on_submit():
        password = getattr(form, "password", None)
        result = submit_transition(
            form,
            lambda: services.apply_statement_transition(
                statement, name, form.to_data(), current_user, password and password.data
            ),
            record_type="statement",
            record_id=statement.id,
            reference=f"{statement.reference} v{statement.current_version}",
            name=name,
            actor=current_user,
            detail_url=detail_url,
            kind="statement",
            done_message=lambda: (
                f"{statement.reference} v{statement.current_version}: {move.label.lower()} done — "
                f"now {STATEMENT.label(statement.status).lower()}."
            ),
        )
        if not isinstance(result, int):
            return result
        status = result
    statement = db.get_or_404(Statement, statement_id)
    return render_template(
        "press/transition.html", record=statement, workflow=STATEMENT, form=form, move=move, detail_url=detail_url
    ), status


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
