"""Shared form pieces."""

from flask import flash
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from .. import hygiene
from ..extensions import db
from ..models.quantity import QUANTITY_HELP, QuantityError, format_quantity, parse_quantity


def strip(value):
    return value.strip() if isinstance(value, str) else value


def none_if_empty(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class WholeNumberField(IntegerField):
    """An IntegerField that refuses more than 18 digits: WTForms' NumberRange turns the number
    into a float to check for NaN, and a 1,000-digit one raises OverflowError (a 500)."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-")) > 18:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class CleanText:
    """A validator refusing control and direction characters (app/hygiene.py); `kind` is
    "text" for several lines, "line" for one. AppForm gives it to every text field."""

    def __init__(self, kind: str = "line"):
        self.kind = kind

    def __call__(self, form, field):
        if isinstance(field.data, str) and (message := hygiene.problem(field.data, self.kind)):
            raise ValidationError(message)


def text_kind(field) -> str | None:
    """How AppForm checks a field: "text" (TextAreaField), "line" (any other text field), or
    None (passwords are never shown nor stored as typed; other fields parse their own value)."""
    if isinstance(field, TextAreaField):
        return "text"
    if isinstance(field, QuantityField):  # parses its own value: only digits and one separator pass
        return None
    if isinstance(field, StringField) and not isinstance(field, PasswordField):
        return "line"
    return None


class AppForm(FlaskForm):
    """Every form of Lotline: each text field refuses control characters and direction
    overrides (one line: line breaks and tabs too) without any form having to ask."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            kind = text_kind(field)
            if kind is not None:
                field.validators = [*field.validators, CleanText(kind)]
            return field


class QuantityField(StringField):
    """Every quantity a person types: read by models.quantity.parse_quantity (a dot or a comma
    before decimals, no thousands separator, no sign or exponent, at most three decimals).
    Empty gives None (an InputRequired/DataRequired validator, or the service, decides if
    that is allowed); refused text keeps what was typed and says how to write it."""

    def __init__(self, label=None, validators=None, description=QUANTITY_HELP, **kwargs):
        super().__init__(label, validators, description=description, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = parse_quantity(valuelist[0])
        except QuantityError as error:
            raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return format_quantity(self.data, group="") if self.data is not None else ""


SCALE = [(0, "— choose —")] + [(n, str(n)) for n in range(1, 6)]
SEVERITY_HELP = "1 negligible · 2 minor · 3 moderate · 4 serious · 5 critical (injury, death)"
PROBABILITY_HELP = "1 remote · 2 unlikely · 3 possible · 4 likely · 5 frequent"


class RiskFields:
    """Mix into a FlaskForm: severity and probability, 1 to 5 (risk = their product).
    Shared by complaint triage and incidents so both score risk the same way."""

    severity = SelectField(
        "Severity",
        coerce=int,
        choices=SCALE,
        description=SEVERITY_HELP,
        validators=[DataRequired(message="Choose a severity from 1 to 5.")],
    )
    probability = SelectField(
        "Probability",
        coerce=int,
        choices=SCALE,
        description=PROBABILITY_HELP,
        validators=[DataRequired(message="Choose a probability from 1 to 5.")],
    )


class ConfirmForm(AppForm):
    """An empty form: a POST button with its CSRF token."""


class VersionedForm(AppForm):
    """A form for an editable record: carries the version it was opened at."""

    version = HiddenField()

    def opened_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


def apply_domain_errors(form, error) -> None:
    """Show a service's DomainError on the form: per-field messages and a flash."""
    for name, messages in error.field_errors.items():
        if hasattr(form, name):
            getattr(form, name).errors = [*messages]
    flash(error.message, "danger")


def warn_stale(form: VersionedForm, saved, kind: str) -> None:
    """After a save lost to someone else's: keep the user's values, point the form at the
    saved version (so saving again overwrites knowingly) and say what happened."""
    form.version.data = saved.version
    flash(
        f"This {kind} was changed by someone else since you opened it. Your values are "
        "kept below; the saved values are shown beside them. Save again to keep yours.",
        "warning",
    )


def conflict_page(form: VersionedForm, model, record_id: int, kind: str, render):
    """The `on_stale` answer of an edit form: the saved record beside the user's values (409).
    `render(saved)` renders the form page with it."""
    saved = db.get_or_404(model, record_id)
    warn_stale(form, saved, kind)
    return render(saved), 409
