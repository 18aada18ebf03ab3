"""Press forms: inquiries, statements (with the "why it changed" note) and the INQUIRY and
STATEMENT moves. Times are typed in the user's zone and handed to the services in UTC."""

from datetime import datetime

from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from ..models import INQUIRY_CHANNELS, STATEMENT_KINDS
from ..signatures.forms import SignatureFields
from ..web.forms import AppForm, ConfirmForm, VersionedForm, none_if_empty, strip
from ..web.zones import local_to_utc, user_zone
from .services import BODY_LIMIT, NOTE_LIMIT, SHORT_LIMIT, TITLE_LIMIT

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def to_utc(value: datetime | None) -> datetime | None:
    """A naive time typed in the user's zone, as an aware UTC time."""
    return local_to_utc(value, user_zone().key) if value else None


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC time as the naive local time a datetime-local input shows."""
    return value.astimezone(user_zone()).replace(tzinfo=None, second=0, microsecond=0) if value else None


def _local_time(label: str, description: str) -> DateTimeLocalField:
    return DateTimeLocalField(label, format=LOCAL_FORMAT, validators=[Optional()], description=description)


def _sane_year(field) -> None:
    # Years far outside ours cannot be moved between time zones (and are typing slips).
    if field.data and not 2000 <= field.data.year <= 2100:
        raise FieldError("Enter a date between the years 2000 and 2100.")


def _text(label, message=None, limit=BODY_LIMIT, rows=4, **kwargs) -> TextAreaField:
    validators = [DataRequired(message=message)] if message else [Optional()]
    return TextAreaField(
        label,
        validators=[*validators, Length(max=limit)],
        filters=[strip] if message else [none_if_empty],
        render_kw={"rows": rows},
        **kwargs,
    )


def _line(label, message=None, limit=SHORT_LIMIT, **kwargs) -> StringField:
    validators = [DataRequired(message=message)] if message else [Optional()]
    return StringField(
        label,
        validators=[*validators, Length(max=limit)],
        filters=[strip] if message else [none_if_empty],
        **kwargs,
    )


class LinkFields:
    """Mix into a FlaskForm: the incident and recall the record is about (0 = none)."""

    incident_id = SelectField("Incident", coerce=int, validators=[Optional()])
    recall_id = SelectField("Recall", coerce=int, validators=[Optional()])

    def set_links(self, incidents, recalls) -> None:
        self.incident_id.choices = [(0, "— none —"), *incidents]
        self.recall_id.choices = [(0, "— none —"), *recalls]


class InquiryForm(LinkFields, VersionedForm):
    outlet = _line("Outlet", "Name the newspaper, station or site.")
    journalist = _line("Journalist", "Name the journalist.")
    contact = _line("Contact", description="Phone or email to answer on.")
    channel = SelectField(
        "Channel",
        choices=[("", "— choose —"), *INQUIRY_CHANNELS.items()],
        validators=[DataRequired(message="Choose how the question came in.")],
    )
    question = _text("Question", "Write down what they asked.", rows=5)
    deadline = _local_time("Deadline", "When they need our answer, in your time zone.")
    assignee_id = SelectField("Assignee", coerce=int, validators=[Optional()])

    def set_choices(self, users, incidents, recalls) -> None:
        self.set_links(incidents, recalls)
        self.assignee_id.choices = [(0, "— nobody yet —"), *((u.id, u.name) for u in users)]

    def validate_deadline(self, field) -> None:
        _sane_year(field)

    def to_data(self) -> dict:
        names = ("outlet", "journalist", "contact", "channel", "question", "incident_id", "recall_id", "assignee_id")
        return {name: getattr(self, name).data for name in names} | {"deadline": to_utc(self.deadline.data)}


class StatementForm(LinkFields, VersionedForm):
    kind = SelectField(
        "Kind",
        choices=[("", "— choose —"), *STATEMENT_KINDS.items()],
        validators=[DataRequired(message="Choose the kind of statement.")],
    )
    title = _line("Title", "Give the statement a title.", limit=TITLE_LIMIT)
    body = _text(
        "Text",
        "Write the statement.",
        rows=14,
        description="Plain text: leave an empty line between paragraphs. Nothing is formatted as HTML.",
    )

    def set_choices(self, incidents, recalls) -> None:
        self.set_links(incidents, recalls)

    def to_data(self) -> dict:
        return {name: getattr(self, name).data for name in ("kind", "title", "body", "incident_id", "recall_id")}


class EditStatementForm(StatementForm):
    note = _line(
        "Why it changed",
        limit=NOTE_LIMIT,
        description="Shown in the versions list, e.g. “Added the hotline number”.",
    )


class PlainForm(ConfirmForm):
    def to_data(self) -> dict:
        return {}


class AnswerForm(AppForm):
    answer = _text("Answer given", "Write down the answer we gave.", rows=6)

    def to_data(self) -> dict:
        return {"answer": self.answer.data}


class ReturnForm(AppForm):
    note = _line("What needs changing", "Say what needs changing.", limit=NOTE_LIMIT)

    def to_data(self) -> dict:
        return {"note": self.note.data}


class ApproveForm(SignatureFields, AppForm):
    def to_data(self) -> dict:
        return {"meaning": self.meaning.data}


class PublishForm(AppForm):
    published_where = _line("Where published", "Say where it was published (site, outlet, channel).", limit=300)
    published_at = _local_time("When published", "In your time zone; left empty, now.")

    def validate_published_at(self, field) -> None:
        _sane_year(field)

    def to_data(self) -> dict:
        return {"published_where": self.published_where.data, "published_at": to_utc(self.published_at.data)}


class WithdrawForm(AppForm):
    withdrawn_reason = _text("Reason", "Say why the statement is withdrawn.", rows=3)

    def to_data(self) -> dict:
        return {"withdrawn_reason": self.withdrawn_reason.data}


INQUIRY_FORMS = {"draft": PlainForm, "answer": AnswerForm, "close": PlainForm, "reopen": PlainForm}
STATEMENT_FORMS = {
    "submit": PlainForm,
    "return": ReturnForm,
    "approve": ApproveForm,
    "publish": PublishForm,
    "withdraw": WithdrawForm,
}
