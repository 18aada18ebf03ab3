"""Alert pages: my alerts (the bell), alert rules and the mail log (admins)."""

import sqlalchemy as sa
from flask import abort, current_app, flash, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import OUTBOX_STATUSES, AlertRule, OutboxMessage
from ..models.types import utcnow
from ..permissions import ROLE_LABELS, Permission, permission_required
from ..web.csv_export import csv_response
from ..web.filters import FilterParser, like_pattern
from ..web.forms import ConfirmForm, warn_stale
from ..web.pagination import paginate
from ..web.submit import submit
from . import bp, inbox, outbox, rules
from .catalogue import EVENTS
from .forms import RuleForm, ToggleForm

RESEND_CHUNK = 5000  # ids per resend call: well under any database's bound-parameter limit


@bp.app_context_processor
def unread_alerts():
    """`unread_alert_count()` for the navbar bell: one COUNT, only when a page shows it."""
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return {}
    cached: list[int] = []

    def unread_alert_count() -> int:
        if not cached:
            cached.append(inbox.unread_count(current_user.id))
        return cached[0]

    return {"unread_alert_count": unread_alert_count}


# --- My alerts ---------------------------------------------------------------------------


@bp.route("/", endpoint="inbox")
@permission_required(Permission.ALERTS_VIEW)
def inbox_page():
    parser = FilterParser(request.args)
    show = parser.choice("show", ("unread", "all")) or "all"
    for message in parser.errors:
        flash(message, "warning")
    page = paginate(
        inbox.inbox_statement(current_user.id, unread_only=show == "unread"),
        page=parser.page(),
        per_page=current_app.config["PER_PAGE"],
    )
    return render_template("alerts/inbox.html", page=page, show=show, events=EVENTS)


@bp.route("/<int:alert_id>/open", endpoint="open")
@permission_required(Permission.ALERTS_VIEW)
def open_alert(alert_id: int):
    alert = inbox.own_alert(alert_id, current_user.id)
    if alert is None:
        abort(404)
    inbox.mark_read(alert)
    db.session.commit()
    target = inbox.safe_path(alert.url)
    if target is None:
        flash("This alert's link does not lead to a page of Lotline, so it was not followed.", "warning")
        return redirect(url_for("alerts.inbox"))
    return redirect(target)


@bp.route("/read-all", methods=["POST"])
@permission_required(Permission.ALERTS_VIEW)
def read_all():
    if ConfirmForm().validate_on_submit():
        count = inbox.mark_all_read(current_user.id)
        db.session.commit()
        flash(f"{count} alert{'s' if count != 1 else ''} marked read." if count else "No unread alerts.", "success")
    return redirect(url_for("alerts.inbox"))


# --- Alert rules -------------------------------------------------------------------------


@bp.route("/rules", endpoint="rules")
@permission_required(Permission.ALERTS_MANAGE)
def rules_page():
    return render_template(
        "alerts/rules.html",
        rules=rules.rules_by_event(),
        events=EVENTS,
        role_labels=ROLE_LABELS,
    )


def _form_data(rule: AlertRule) -> dict:
    return {
        "name": rule.name,
        "event": rule.event,
        "roles": rule.role_list,
        "users": [u.id for u in rule.users],
        "notify_assignee": rule.notify_assignee,
        "min_severity": rule.min_severity,
        "enabled": rule.enabled,
        "version": rule.version,
    }


def _render_form(form: RuleForm, rule: AlertRule | None, status: int, conflict: AlertRule | None = None):
    return render_template(
        "alerts/rule_form.html", form=form, rule=rule, conflict=conflict, events=EVENTS, role_labels=ROLE_LABELS
    ), status


@bp.route("/rules/new", methods=["GET", "POST"])
@permission_required(Permission.ALERTS_MANAGE)
def rule_create():
    form = RuleForm(users=rules.user_choices())
    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: rules.create_rule(form.to_data(), current_user),
            success_url=url_for("alerts.rules"),
            done=lambda rule: f"Alert rule “{rule.name}” created.",
        )
        if not isinstance(answer, int):
            return answer
    return _render_form(form, None, 422 if request.method == "POST" else 200)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.ALERTS_MANAGE)
def rule_edit(rule_id: int):
    rule = db.get_or_404(AlertRule, rule_id)
    if request.method == "GET":
        return _render_form(RuleForm(data=_form_data(rule), users=rules.user_choices(rule)), rule, 200)
    form = RuleForm(users=rules.user_choices(rule))

    def stale():
        conflict = db.get_or_404(AlertRule, rule_id)
        warn_stale(form, conflict, "alert rule")
        return _render_form(form, conflict, 409, conflict=conflict)

    if form.validate_on_submit():
        answer = submit(
            form,
            lambda: rules.update_rule(rule, form.to_data(), current_user, form.opened_version()),
            success_url=url_for("alerts.rules"),
            done=lambda _: f"Alert rule “{rule.name}” saved.",
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    return _render_form(form, rule, 422)


@bp.route("/rules/<int:rule_id>/toggle", methods=["POST"])
@permission_required(Permission.ALERTS_MANAGE)
def rule_toggle(rule_id: int):
    rule = db.get_or_404(AlertRule, rule_id)
    form = ToggleForm()
    if form.validate_on_submit():

        def done(changed: bool) -> str:
            state = "on" if rule.enabled else "off"
            return f"Alert rule “{rule.name}” {'switched' if changed else 'was already'} {state}."

        answer = submit(
            form,
            lambda: rules.set_enabled(rule, form.wanted(rule.enabled), current_user),
            success_url=url_for("alerts.rules"),
            done=done,
            kind="rule",
        )
        if not isinstance(answer, int):
            return answer
    return redirect(url_for("alerts.rules"))  # a refusal is flashed above the list


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@permission_required(Permission.ALERTS_MANAGE)
def rule_delete(rule_id: int):
    rule = db.get_or_404(AlertRule, rule_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = rule.name
        answer = submit(
            form,
            lambda: rules.delete_rule(rule, current_user),
            success_url=url_for("alerts.rules"),
            done=f"Alert rule “{name}” deleted.",
            kind="rule",
        )
        if not isinstance(answer, int):
            return answer
    return redirect(url_for("alerts.rules"))  # a refusal is flashed above the list


# --- Mail log ----------------------------------------------------------------------------

CSV_HEADER = [
    "id",
    "created_at",
    "status",
    "attempts",
    "to",
    "subject",
    "event",
    "message_id",
    "transport",
    "sent_at",
    "last_error",
]


def _csv_rows(stmt):
    for m in db.session.scalars(stmt.execution_options(yield_per=500)):
        yield [
            m.id,
            m.created_at.isoformat(),
            m.status,
            m.attempts,
            m.to_address,
            m.subject,
            m.event,
            m.message_id,
            m.transport,
            m.sent_at.isoformat() if m.sent_at else "",
            m.last_error,
        ]


def _mail_destination() -> str:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return f"sent through the SMTP server {config['MAIL_SERVER']}:{config.get('MAIL_PORT', 25)}."
    return f"written as .eml files to {config['MAIL_FILE_DIR']} (no MAIL_SERVER set)."


@bp.route("/mail")
@permission_required(Permission.ALERTS_MANAGE)
def mail():
    parser = FilterParser(request.args)
    status = parser.choice("status", OUTBOX_STATUSES)
    event = parser.choice("event", EVENTS)
    q = parser.text("q")
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if event:
        stmt = stmt.where(OutboxMessage.event == event)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            sa.or_(
                OutboxMessage.to_address.ilike(pattern, escape="\\"),
                OutboxMessage.subject.ilike(pattern, escape="\\"),
            )
        )
    if request.args.get("format") == "csv":
        return csv_response(f"mail-log-{utcnow():%Y%m%d-%H%M}.csv", CSV_HEADER, _csv_rows(stmt))
    for message in parser.errors:
        flash(message, "warning")
    page = paginate(stmt, page=parser.page(), per_page=current_app.config["PER_PAGE"])
    return render_template(
        "alerts/mail_log.html",
        page=page,
        status=status,
        event=event,
        q=q,
        counts=outbox.counts_by_status(),
        statuses=OUTBOX_STATUSES,
        events=EVENTS,
        destination=_mail_destination(),
    )


@bp.route("/mail/<int:message_id>")
@permission_required(Permission.ALERTS_MANAGE)
def mail_detail(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("alerts/mail_detail.html", message=message, events=EVENTS)


@bp.route("/mail/<int:message_id>/resend", methods=["POST"])
@permission_required(Permission.ALERTS_MANAGE)
def mail_resend(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    if ConfirmForm().validate_on_submit():
        if message.status != "failed":
            state = message.status_label.lower()
            flash(f"Message {message.id} is not failed (it is {state}); nothing to resend.", "info")
        else:
            outbox.resend([message.id], current_user)
            db.session.commit()
            flash(f"Message {message.id} put back in line; the worker will send it again.", "success")
    return redirect(url_for("alerts.mail_detail", message_id=message_id))


@bp.route("/mail/resend-failed", methods=["POST"])
@permission_required(Permission.ALERTS_MANAGE)
def mail_resend_failed():
    if ConfirmForm().validate_on_submit():
        ids = outbox.failed_ids()
        count = sum(outbox.resend(ids[i : i + RESEND_CHUNK], current_user) for i in range(0, len(ids), RESEND_CHUNK))
        db.session.commit()
        if count:
            flash(f"{count} failed message{'s' if count != 1 else ''} put back in line.", "success")
        else:
            flash("No failed messages to resend.", "info")
    return redirect(url_for("alerts.mail"))
