"""GET shows the notice and the form; POST records the answer once. Wrong, forged, expired
(recall terminated) and used links all get the same kind of plain page, never a stack trace."""

from flask import current_app, render_template
from flask_login import current_user

from ..extensions import db, limiter
from ..models import RecallNotice
from ..recalls import tokens
from ..recalls.letter import heading, letter_lines
from ..recalls.responses import AlreadyAnswered, answer_lines, record_response
from ..recalls.services import accepts_responses
from ..web.response_form import ResponseForm
from ..web.submit import submit
from . import bp


def _limit() -> str:
    return current_app.config["RESPONSE_RATE_LIMIT"]


def _notice_for(token: str) -> RecallNotice | None:
    parts = tokens.split(token)
    if parts is None:
        return None
    nonce, mac = parts
    notice = db.session.scalar(db.select(RecallNotice).where(RecallNotice.token_nonce == nonce))
    if notice is None or not tokens.verify(notice, mac):
        return None
    return notice


def _refuse(title: str, message: str, status: int):
    return render_template("respond/refused.html", title=title, message=message), status


@bp.route("/<token>", methods=["GET", "POST"], endpoint="form")
@limiter.limit(_limit)
def respond(token: str):
    notice = _notice_for(token)
    if notice is None:
        return _refuse(
            "This link does not work",
            "Check that you copied the whole link from the recall notice, or reply to the notice email.",
            404,
        )
    recall = notice.recall
    if not accepts_responses(recall):
        return _refuse(
            "This recall is closed",
            f"Recall {recall.reference} has been terminated and no longer takes responses through this link.",
            410,
        )
    context = {"notice": notice, "recall": recall, "heading": heading(recall), "lines": letter_lines(notice.id)}

    def done(status: int = 200, **extra):
        return render_template("respond/done.html", answers=answer_lines(notice), **context, **extra), status

    if notice.responded_at is not None:
        return done()
    form = ResponseForm.for_lines(answer_lines(notice))
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():

            def answered_meanwhile():  # another tab, a colleague: show what was recorded
                return done(409)

            answer = submit(
                form,
                # The consignee answers, not a Lotline user (even if one is signed in here).
                lambda: record_response(notice, form.to_data(), source="link"),
                on_success=lambda _: done(thanks=True),
                on_error=lambda error: answered_meanwhile() if isinstance(error, AlreadyAnswered) else None,
                on_stale=answered_meanwhile,
            )
            if not isinstance(answer, int):
                return answer
    return render_template("respond/form.html", form=form, signed_in=current_user.is_authenticated, **context), status
