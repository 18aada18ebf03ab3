"""Press rules: inquiries (received → drafting → answered → closed) and statements, whose
every edit is a new version and whose approval is signed by a second person.

Nothing here renders text: titles and bodies are stored as typed and shown as text.
"""

import difflib
from datetime import datetime

import sqlalchemy as sa

from ..audit import services as audit
from ..errors import InvalidTransition, NotAllowed, StaleRecord, ValidationError
from ..extensions import db
from ..models import (
    INQUIRY_CHANNELS,
    STATEMENT_KINDS,
    Incident,
    PressInquiry,
    Recall,
    Statement,
    StatementVersion,
    User,
)
from ..models.types import utcnow
from ..permissions import Permission
from ..references import next_reference
from ..web.filters import MAX_ID, whole_number
from ..workflow import INQUIRY, STATEMENT
from ..workflow import engine as workflow_engine

TITLE_LIMIT = 200
BODY_LIMIT = 20_000
SHORT_LIMIT = 200
NOTE_LIMIT = 300
INQUIRY_FIELDS = (
    "outlet",
    "journalist",
    "contact",
    "channel",
    "question",
    "deadline",
    "incident_id",
    "recall_id",
    "assignee_id",
)
STATEMENT_FIELDS = ("kind", "title", "body", "incident_id", "recall_id")
FIELD_LABELS = {
    "outlet": "Outlet",
    "journalist": "Journalist",
    "contact": "Contact",
    "channel": "Channel",
    "question": "Question",
    "deadline": "Deadline",
    "incident_id": "Incident",
    "recall_id": "Recall",
    "assignee_id": "Assignee",
    "kind": "Kind",
    "title": "Title",
    "body": "Text",
    "answer": "Answer",
    "note": "Note",
    "published_where": "Where published",
    "published_at": "When published",
    "withdrawn_reason": "Reason",
}


def _raise(errors: dict[str, list[str]]) -> None:
    first = next(iter(errors))
    raise ValidationError(f"{FIELD_LABELS.get(first, first)}: {errors[first][0]}", errors)


def _require(actor) -> None:
    if not actor.can(Permission.PRESS_MANAGE):
        raise NotAllowed("Only marketing or an admin can change press inquiries and statements.")


def _text(values: dict, errors: dict, name: str, limit: int, required: bool = True) -> None:
    value = values.get(name)
    value = value.strip() if isinstance(value, str) else value
    if not value:
        if required:
            errors[name] = ["This is required."]
        values[name] = None
        return
    if len(value) > limit:
        errors[name] = [f"Keep this under {limit:,} characters (it has {len(value):,})."]
    values[name] = value


def _links(values: dict, errors: dict) -> None:
    """The incident and recall a record is about must exist (either, both or neither)."""
    for name, model in (("incident_id", Incident), ("recall_id", Recall)):
        raw = values.get(name)
        if raw in (None, "", 0):
            values[name] = None
            continue
        try:
            values[name] = int(raw)
        except (TypeError, ValueError):
            errors[name] = ["Choose one from the list."]
            continue
        if not 0 < values[name] <= MAX_ID or db.session.get(model, values[name]) is None:
            errors[name] = ["No such record; choose one from the list."]


def validate_inquiry(data: dict) -> dict:
    values = {k: data.get(k) for k in INQUIRY_FIELDS}
    errors: dict[str, list[str]] = {}
    _text(values, errors, "outlet", SHORT_LIMIT)
    _text(values, errors, "journalist", SHORT_LIMIT)
    _text(values, errors, "contact", SHORT_LIMIT, required=False)
    _text(values, errors, "question", BODY_LIMIT)
    if values["channel"] not in INQUIRY_CHANNELS:
        errors["channel"] = ["Choose one from the list."]
    deadline = values["deadline"]
    if deadline is not None and not isinstance(deadline, datetime):
        errors["deadline"] = ["Enter a date and time."]
    _links(values, errors)
    assignee = values["assignee_id"]
    if assignee in (None, "", 0):
        values["assignee_id"] = None
    else:
        number = whole_number(str(assignee))
        user = db.session.get(User, number) if number else None
        if user is None or not user.active or not user.can(Permission.PRESS_MANAGE):
            errors["assignee_id"] = ["Choose an active marketing user or admin."]
        else:
            values["assignee_id"] = user.id
    if errors:
        _raise(errors)
    return values


def create_inquiry(data: dict, actor) -> PressInquiry:
    reference = next_reference("PRS")
    _require(actor)
    values = validate_inquiry(data)
    inquiry = PressInquiry(reference=reference, status=INQUIRY.initial, created_by_id=actor.id, **values)
    db.session.add(inquiry)
    db.session.flush()
    audit.record("created", "inquiry", inquiry.id, label=reference, changes=audit.diff({}, values), actor=actor)
    return inquiry


def _check_version(record, opened_version: int | None) -> None:
    if opened_version is not None and opened_version != record.version:
        raise StaleRecord(f"{record.reference} was changed by someone else since you opened it.")


def inquiry_editable(inquiry: PressInquiry) -> bool:
    return not INQUIRY.in_set("final", inquiry.status)


def check_inquiry_editable(inquiry: PressInquiry) -> None:
    """A closed inquiry is changed only after reopening it (409)."""
    if not inquiry_editable(inquiry):
        raise InvalidTransition(f"Inquiry {inquiry.reference} is closed; reopen it to change it.")


def update_inquiry(inquiry: PressInquiry, data: dict, actor, opened_version: int | None = None) -> PressInquiry:
    _require(actor)
    check_inquiry_editable(inquiry)
    _check_version(inquiry, opened_version)
    values = validate_inquiry(data)
    before = audit.snapshot(inquiry, values)
    changes = audit.diff(before, values)
    if not changes:
        return inquiry
    for key, value in values.items():
        setattr(inquiry, key, value)
    db.session.flush()
    audit.record("updated", "inquiry", inquiry.id, label=inquiry.reference, changes=changes, actor=actor)
    return inquiry


def _transition_values(name: str, values: dict) -> dict:
    """Length limits of the moves' texts (the engine has checked they are given)."""
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        if isinstance(value, str):
            limit = BODY_LIMIT if field in ("answer", "withdrawn_reason") else NOTE_LIMIT
            _text(values, errors, field, limit)
    if errors:
        _raise(errors)
    return values


def apply_inquiry_transition(inquiry: PressInquiry, name: str, data: dict, actor) -> PressInquiry:
    """Move the inquiry through the engine; an answer is stamped with its time."""

    def checked(values: dict) -> dict:
        values = _transition_values(name, values)
        return values | {"answered_at": utcnow()} if name == "answer" else values

    workflow_engine.apply(inquiry, name, actor, data, validate=checked)
    return inquiry


def validate_statement(data: dict) -> dict:
    values = {k: data.get(k) for k in STATEMENT_FIELDS}
    errors: dict[str, list[str]] = {}
    if values["kind"] not in STATEMENT_KINDS:
        errors["kind"] = ["Choose one from the list."]
    _text(values, errors, "title", TITLE_LIMIT)
    _text(values, errors, "body", BODY_LIMIT)
    _links(values, errors)
    if errors:
        _raise(errors)
    return values


def _add_version(statement: Statement, number: int, actor, note: str | None) -> None:
    """Keep the words of this version as they are (approval names a version number)."""
    db.session.add(
        StatementVersion(
            statement_id=statement.id,
            number=number,
            title=statement.title,
            body=statement.body,
            author_id=actor.id,
            note=(note or "").strip()[:NOTE_LIMIT] or None,
        )
    )


def create_statement(data: dict, actor) -> Statement:
    reference = next_reference("STM")
    _require(actor)
    values = validate_statement(data)
    statement = Statement(
        reference=reference,
        status=STATEMENT.initial,
        current_version=1,
        author_id=actor.id,
        created_by_id=actor.id,
        **values,
    )
    db.session.add(statement)
    db.session.flush()
    _add_version(statement, 1, actor, "First draft")
    audit.record("created", "statement", statement.id, label=reference, changes=audit.diff({}, values), actor=actor)
    return statement


def edit_statement(
    statement: Statement, data: dict, actor, note: str | None = None, opened_version: int | None = None
) -> Statement:
    """Every change is a new version by `actor`, who becomes its author, and sends the
    statement back to draft: what changed needs a second person's approval again.

    While new words wait, the last approved version stays the one sales sees (one voice),
    unless the kind or the linked incident/recall changed: approved words are approved for
    one use and one record, so such a change withdraws them until the next approval."""
    _require(actor)
    if not STATEMENT.in_set("editable", statement.status):
        raise ValidationError(f"Statement {statement.reference} is withdrawn; write a new statement instead.")
    _check_version(statement, opened_version)
    values = validate_statement(data)
    if not audit.diff(audit.snapshot(statement, values), values):
        return statement
    use_changed = any(values[k] != getattr(statement, k) for k in ("kind", "incident_id", "recall_id"))
    values |= {"current_version": statement.current_version + 1, "author_id": actor.id}
    if use_changed and statement.approved_version is not None:
        values["approved_version"] = None
        note = f"{note or ''} (kind or linked record changed: approval needed before sales sees it)".strip()
    workflow_engine.apply(
        statement,
        "revise",
        actor,
        values,
        effects=lambda: _add_version(statement, statement.current_version, actor, note),
        as_part_of="saving new words",
    )
    return statement


def apply_statement_transition(
    statement: Statement, name: str, data: dict, actor, password: str | None = None
) -> Statement:
    """Move the statement through the engine; approval (four eyes, signed) fixes the version
    approved, publication records where and when."""

    def checked(values: dict) -> dict:
        values = _transition_values(name, values)
        now = utcnow()
        if name == "approve":
            values |= {"approved_version": statement.current_version, "approved_by_id": actor.id, "approved_at": now}
        elif name == "publish":
            when = values.get("published_at") or now
            if not isinstance(when, datetime) or when > now:
                _raise({"published_at": ["Give the time it was published, not in the future."]})
            values["published_at"] = when
        return values

    workflow_engine.apply(
        statement,
        name,
        actor,
        data,
        signing=workflow_engine.Signing(data.get("meaning") or "", password or ""),
        validate=checked,
        effects=lambda: {"text version": [None, statement.current_version]},
    )
    return statement


def versions(statement: Statement) -> list[StatementVersion]:
    return list(
        db.session.scalars(
            sa.select(StatementVersion)
            .where(StatementVersion.statement_id == statement.id)
            .order_by(StatementVersion.number.desc())
        )
    )


def diff_lines(old: StatementVersion | None, new: StatementVersion) -> list[tuple[str, str]]:
    """(kind, line) pairs of the change from `old` to `new`: kind is " ", "+" or "-".
    Lines are text; templates show them escaped."""
    before = [] if old is None else [f"# {old.title}", *old.body.splitlines()]
    after = [f"# {new.title}", *new.body.splitlines()]
    out = []
    for line in difflib.ndiff(before, after):
        kind = line[:1]
        if kind in (" ", "+", "-"):
            out.append((kind, line[2:]))
    return out
