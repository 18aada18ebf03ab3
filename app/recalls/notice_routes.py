"""Recall notice pages: the consignee table (progress, filters, CSV), sending, reminders,
notifications and responses recorded by hand, effectiveness. Thin views over notices.py,
responses.py and notice_queries.py."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..errors import ValidationError
from ..extensions import db
from ..models import EFFECTIVENESS_LEVELS, NOTICE_METHODS, Recall, RecallNotice
from ..models.types import utcnow
from ..permissions import Permission, permission_required
from ..web.csv_export import csv_response
from ..web.filters import FilterParser, whole_number
from ..web.forms import ConfirmForm, conflict_page
from ..web.submit import submit
from ..web.zones import local_to_utc, user_zone
from ..workflow import RECALL
from . import bp, notice_queries, notices, responses
from .letter import letter_lines
from .notice_forms import ManualResponseForm, NotifyForm
from .services import accepts_responses

MAX_CHOSEN = 1000  # ticked rows per request: a page shows at most 100


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _notice_of(recall_id: int, notice_id: int) -> RecallNotice:
    notice = db.get_or_404(RecallNotice, notice_id)
    if notice.recall_id != recall_id:
        abort(404)
    return notice


def _page_context(recall: Recall) -> dict:
    return {
        "recall": recall,
        "can_manage": current_user.can(Permission.RECALL_MANAGE),
        "sending": RECALL.in_set("sending", recall.status),
        "answering": accepts_responses(recall),
        "states": notice_queries.STATES,
        "state_styles": notice_queries.STATE_STYLES,
        "methods": NOTICE_METHODS,
    }


def _filter_args() -> dict:
    """The notices page's filters and page number, to come back to after a POST."""
    return {key: value for key in notice_queries.FILTER_KEYS if (value := request.args.get(key))}


@bp.route("/<int:recall_id>/notices", endpoint="notices")
@permission_required(Permission.RECALL_VIEW)
def notices_page(recall_id: int):
    recall = db.get_or_404(Recall, recall_id)
    filters = notice_queries.NoticeFilters.from_args(request.args)
    if request.args.get("format") == "csv":
        rows = notice_queries.csv_rows(filters, recall)
        name = f"recall-{recall.reference}-consignees-{utcnow():%Y%m%d-%H%M}.csv"
        return csv_response(name, notice_queries.CSV_HEADER, rows)
    for message in filters.errors:
        flash(message, "warning")
    page = notice_queries.page_of(filters, recall, FilterParser(request.args).page(), current_app.config["PER_PAGE"])
    figures = responses.effectiveness(recall)
    # Reload while emails wait for the worker, so the bar moves; ?refresh=off stops it.
    refresh = bool(figures.states.get("queued")) and request.args.get("refresh") != "off"
    return render_template(
        "recalls/notices.html",
        page=page,
        filters=filters,
        figures=figures,
        refresh=refresh,
        responded_choices=notice_queries.RESPONDED,
        back_args=_filter_args(),
        **_page_context(recall),
    )


def _chosen_ids() -> list[int] | None:
    """None when the button acts on all; else the ticked notice ids (bad values dropped)."""
    if "chosen" not in request.form:
        return None
    values = request.form.getlist("notice")
    if len(values) > MAX_CHOSEN:
        raise ValidationError(f"Choose at most {MAX_CHOSEN} consignees at once.")
    return sorted({n for v in values if (n := whole_number(v))})


def _back_url(recall_id: int) -> str:
    """The page the button was on, with its filters (rebuilt from known keys only)."""
    if request.args.get("back") == "effectiveness":
        return url_for("recalls.effectiveness", recall_id=recall_id)
    return url_for("recalls.notices", recall_id=recall_id, **_filter_args())


def _bulk(recall_id: int, action, done):
    """POST a bulk action: call the service, commit and say how many; a refusal changes nothing
    and is flashed on the page the button was on."""
    recall = db.get_or_404(Recall, recall_id)
    back = _back_url(recall_id)
    form = ConfirmForm()
    if form.validate_on_submit():

        def stale():
            flash("Someone else changed these notices meanwhile; check the list and try again.", "warning")
            return redirect(back)

        answer = submit(
            form,
            lambda: action(recall, current_user, _chosen_ids()),
            success_url=back,
            done=done,
            on_stale=stale,
        )
        if not isinstance(answer, int):
            return answer
    return redirect(back)


@bp.route("/<int:recall_id>/notices/send", methods=["POST"], endpoint="send_notices")
@permission_required(Permission.RECALL_MANAGE)
def send_notices(recall_id: int):
    return _bulk(
        recall_id,
        notices.send_notices,
        lambda n: f"{_plural(n, 'notice')} queued; the mail worker sends them with the recall letter attached.",
    )


@bp.route("/<int:recall_id>/notices/resend", methods=["POST"], endpoint="resend_failed")
@permission_required(Permission.RECALL_MANAGE)
def resend_failed(recall_id: int):
    return _bulk(recall_id, notices.resend_failed, lambda n: f"{_plural(n, 'failed notice email')} put back in line.")


@bp.route("/<int:recall_id>/notices/remind", methods=["POST"], endpoint="remind")
@permission_required(Permission.RECALL_MANAGE)
def remind(recall_id: int):
    return _bulk(recall_id, notices.send_reminders, lambda n: f"{_plural(n, 'reminder')} queued.")


def _save(form, apply, notice: RecallNotice, done: str):
    """Run `apply` and commit; a redirect to the notices page, or the status to show the form again."""
    notices_url = url_for("recalls.notices", recall_id=notice.recall_id)
    return submit(form, apply, success_url=notices_url, done=done, kind="notice")


@bp.route(
    "/<int:recall_id>/notices/<int:notice_id>/notified",
    methods=["GET", "POST"],
    endpoint="record_notification",
)
@permission_required(Permission.RECALL_MANAGE)
def record_notification(recall_id: int, notice_id: int):
    notice = _notice_of(recall_id, notice_id)
    form = NotifyForm()
    if request.method == "GET":
        form.notified_at.data = utcnow().astimezone(user_zone()).replace(tzinfo=None, second=0, microsecond=0)
        if not RECALL.in_set("sending", notice.recall.status):
            flash("This recall is not sending notices now; a notification cannot be recorded.", "warning")
    if form.validate_on_submit():
        typed = form.notified_at.data
        when = local_to_utc(typed, user_zone().key) if typed else None
        method = form.method.data or ""  # left out of the post: the service names the error
        done = f"{notice.consignee.name}: notified by {notices.HAND_METHODS.get(method, method).lower()}."
        result = _save(
            form,
            lambda: notices.record_notification(notice, method, when, form.notified_note.data, current_user),
            notice,
            done,
        )
        if not isinstance(result, int):
            return result
    status = 422 if request.method == "POST" else 200
    return render_template("recalls/notify_form.html", form=form, notice=notice, recall=notice.recall), status


@bp.route(
    "/<int:recall_id>/notices/<int:notice_id>/response",
    methods=["GET", "POST"],
    endpoint="enter_response",
)
@permission_required(Permission.RECALL_MANAGE)
def enter_response(recall_id: int, notice_id: int):
    notice = _notice_of(recall_id, notice_id)
    form = ManualResponseForm.for_lines(responses.answer_lines(notice))
    if request.method == "GET":
        form.version.data = notice.version
        if notice.responded_at is not None:
            form.fill_from(notice)
        if not accepts_responses(notice.recall):
            flash(f"Recall {notice.recall.reference} no longer takes responses.", "warning")

    def page(saved: RecallNotice, conflict: bool = False):
        return render_template(
            "recalls/response_form.html",
            form=form,
            notice=saved,
            recall=saved.recall,
            lines=letter_lines(saved.id),
            saved_answers=responses.answer_lines(saved) if conflict else None,
        )

    if form.validate_on_submit():
        verb = "corrected" if notice.responded_at is not None else "recorded"
        result = submit(
            form,
            lambda: responses.record_response(
                notice, form.to_data(), source="manual", actor=current_user, opened_version=form.opened_version()
            ),
            success_url=url_for("recalls.notices", recall_id=notice.recall_id),
            done=f"{notice.consignee.name}: response {verb}.",
            kind="notice",
            on_stale=lambda: conflict_page(
                form, RecallNotice, notice_id, "response", lambda saved: page(saved, conflict=True)
            ),
        )
        if not isinstance(result, int):
            return result
    return page(notice), 422 if request.method == "POST" else 200


@bp.route("/<int:recall_id>/effectiveness", endpoint="effectiveness")
@permission_required(Permission.RECALL_VIEW)
def effectiveness_page(recall_id: int):
    recall = db.get_or_404(Recall, recall_id)
    return render_template(
        "recalls/effectiveness.html",
        figures=responses.effectiveness(recall),
        non_responders=notice_queries.non_responders(recall),
        shown=notice_queries.NON_RESPONDERS_SHOWN,
        levels=EFFECTIVENESS_LEVELS,
        **_page_context(recall),
    )
