"""One view serves every record type's moves, with one template (_transition.html).

A blueprint describes its record type once (`Moves`: the model, the workflow, the form of
each move made by hand, the record's page and the service that applies a move) and
`register_moves` adds the URL `<rule>/do/<name>`. The view refuses a move the user may not
make, or not now, before any form (403 / 409, four eyes included); on POST it runs the
service through `submit`, the one helper that turns domain errors into form errors.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, render_template, request
from flask_login import current_user

from ..extensions import db
from ..permissions import permission_required
from .submit import submit


@dataclass(frozen=True)
class Moves:
    """How one record type's moves are served on the web."""

    model: type
    workflow: object  # app.workflow.Workflow
    forms: dict[str, type]  # the form of each move made by hand
    detail_url: Callable[[object], str]
    # apply(record, name, data, actor, password): the domain service making the move
    apply: Callable[..., object]
    summary: str  # template of the record's summary shown above the form
    # prepare(form, record, move) -> extra template context (choices, pre-filled values)
    prepare: Callable[..., dict] = field(default=lambda form, record, move: {})


def register_moves(bp, rule: str, endpoint: str, view_permission, moves: Moves) -> None:
    """Serve `rule`/do/<name> (GET: the form; POST: the move) as `bp.<endpoint>`."""

    def view(name: str, **record_id: int):  # the rule names the id (complaint_id, recall_id, …)
        (only_id,) = record_id.values()
        return _serve(moves, only_id, name)

    view.__name__ = endpoint
    bp.add_url_rule(
        f"{rule}/do/<name>",
        endpoint=endpoint,
        view_func=permission_required(view_permission)(view),
        methods=["GET", "POST"],
    )


def _serve(moves: Moves, record_id: int, name: str):
    record = db.get_or_404(moves.model, record_id)
    if name not in moves.forms:
        abort(404)
    workflow = moves.workflow
    move = workflow.check(record, name, current_user)  # 403 / 409 (four eyes too) before any form
    form = moves.forms[name]()
    extra = moves.prepare(form, record, move)
    if request.method == "GET" and move.signature:
        form.meaning.data = move.signature
    status = 422 if request.method == "POST" else 200
    detail_url = moves.detail_url(record)
    if form.validate_on_submit():
        _, _, label = workflow.audit_target(record)
        password = getattr(form, "password", None)
        result = submit(
            form,
            lambda: moves.apply(record, name, form.to_data(), current_user, password.data if password else None),
            success_url=detail_url,
            done=lambda _: f"{label}: {move.label.lower()} done — now {workflow.label(record.status).lower()}.",
            kind=workflow.record_type,
            signing=(workflow.record_type, record.id, label, name),
        )
        if not isinstance(result, int):
            return result
        status = result
        record = db.get_or_404(moves.model, record_id)  # as it is after the rollback
        extra = moves.prepare(form, record, move)
    return render_template(
        "_transition.html",
        record=record,
        workflow=workflow,
        form=form,
        move=move,
        detail_url=detail_url,
        summary=moves.summary,
        **extra,
    ), status
