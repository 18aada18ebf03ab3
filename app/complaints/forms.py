"""Complaint forms: intake/edit, the transition forms, comments."""

from datetime import timedelta

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from ..models import CATEGORIES, CHANNELS
from ..models.types import utcnow
from ..web.filters import MAX_ID
from ..web.forms import AppForm, ConfirmForm, QuantityField, RiskFields, VersionedForm, none_if_empty, strip


class ComplaintForm(VersionedForm):
    received_at = DateTimeLocalField(
        "Received at",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message="Enter when the complaint was received.")],
    )
    channel = SelectField("Channel", choices=list(CHANNELS.items()), validators=[DataRequired()])
    customer_id = SelectField("Customer", coerce=int, validators=[Optional()])
    # Shown instead of the customer_id <select> on plants with many customers (use_customer_search).
    # No Optional(): it would stop the chain before validate_customer_name sees an empty name.
    customer_name = StringField("Customer", validators=[Length(max=200)], filters=[none_if_empty])
    new_customer_name = StringField(
        "…or a new customer",
        validators=[Optional(), Length(max=200)],
        filters=[none_if_empty],
        description="Type a name here if the customer is not in the list; it will be created.",
    )
    complainant_name = StringField(
        "Complainant name", validators=[Optional(), Length(max=120)], filters=[none_if_empty]
    )
    complainant_contact = StringField(
        "Complainant phone or email",
        validators=[Optional(), Length(max=200)],
        filters=[none_if_empty],
    )
    product_id = SelectField("Product", coerce=int, validators=[DataRequired(message="Choose the product.")])
    lot_codes = StringField(
        "Lot code(s) as reported",
        validators=[Optional(), Length(max=500)],
        filters=[none_if_empty],
        description="Exactly as the customer read them, separated by commas. Unknown lots are kept.",
    )
    quantity_affected = QuantityField("Quantity affected", validators=[Optional()])
    description = TextAreaField(
        "What happened",
        validators=[DataRequired(message="Describe what happened."), Length(max=10_000)],
        filters=[strip],
        render_kw={"rows": 5},
    )
    category = SelectField("Category", choices=list(CATEGORIES.items()), validators=[DataRequired()])
    injury = BooleanField("Injury or illness reported")
    sample_available = BooleanField("Sample available")

    customer_search = False  # True: the customer is typed (customer_name), customer_id is hidden
    customer_suggestions = ()  # server-side suggestions for the datalist (no-JS fallback)

    def set_choices(self, customers, products) -> None:
        """`customers` None: too many to list; the customer is typed and looked up instead."""
        if customers is None:
            self.use_customer_search()
        else:
            self.customer_id.choices = [(0, "— choose a customer —")] + [(c.id, c.name) for c in customers]
        self.product_id.choices = [(0, "— choose a product —")] + [(p.id, p.label) for p in products]

    def use_customer_search(self) -> None:
        self.customer_search = True
        field = self.customer_id
        field.validate_choice = False
        # Now a hidden helper carrying the picked suggestion: the typed name decides, so an id
        # that is no number, or no possible record id, is simply no id (and never reaches SQL).
        if field.process_errors or not isinstance(field.data, int) or not 0 < field.data <= MAX_ID:
            field.process_errors = []
            field.data = 0
        self.customer_name.flags.required = True
        self.customer_name.description = "Type part of the name and pick the customer from the suggestions."
        self.customer_name.render_kw = {"list": "customer-suggestions", "autocomplete": "off", "spellcheck": "false"}
        self.new_customer_name.description = "Type a name here if the customer is not found; it will be created."

    def validate_customer_id(self, field):
        if not self.customer_search and not field.data and not self.new_customer_name.data:
            raise FieldError("Choose a customer or type the name of a new one.")

    def validate_customer_name(self, field):
        if self.customer_search and not field.data and not self.new_customer_name.data:
            raise FieldError("Type the customer's name and pick it from the suggestions, or type a new one below.")

    def validate_received_at(self, field):
        # The browser sends local time; compare loosely (a day either way is fine here,
        # the exact zone conversion happens in the service).
        if field.data and field.data.year < 1990:
            raise FieldError("Enter a date after 1990.")
        if field.data and field.data > (utcnow() + timedelta(days=1)).replace(tzinfo=None):
            raise FieldError("The received time cannot be in the future.")


class TriageForm(RiskFields, AppForm):
    reportable = SelectField(
        "Reportable to an authority?",
        choices=[("", "— choose —"), ("yes", "Yes"), ("no", "No")],
        validators=[DataRequired(message="Say whether it is reportable.")],
    )
    reportable_reason = TextAreaField(
        "Reason for the reportability decision",
        validators=[DataRequired(message="Give the reason for the decision."), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 3},
    )
    investigator_id = SelectField(
        "Investigator", coerce=int, validators=[DataRequired(message="Choose an investigator.")]
    )
    due_date = DateField("Investigation due", validators=[InputRequired(message="Enter a due date.")])

    def set_choices(self, investigators) -> None:
        self.investigator_id.choices = [(0, "— choose —")] + [(u.id, u.name) for u in investigators]

    def to_data(self) -> dict:
        return {
            "severity": self.severity.data,
            "probability": self.probability.data,
            "reportable": self.reportable.data == "yes",
            "reportable_reason": self.reportable_reason.data,
            "investigator_id": self.investigator_id.data,
            "due_date": self.due_date.data,
        }


class ResolveForm(AppForm):
    reply_to_complainant = TextAreaField(
        "Reply given to the complainant",
        validators=[DataRequired(message="Record what the complainant was told."), Length(max=10_000)],
        filters=[strip],
        render_kw={"rows": 4},
    )

    def to_data(self) -> dict:
        return {"reply_to_complainant": self.reply_to_complainant.data}


class CloseForm(AppForm):
    closing_note = TextAreaField(
        "Closing note",
        validators=[DataRequired(message="Say why the complaint can be closed."), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 3},
    )

    def to_data(self) -> dict:
        return {"closing_note": self.closing_note.data}


class RejectForm(AppForm):
    rejection_reason = TextAreaField(
        "Why this is not a complaint",
        validators=[
            DataRequired(message="Give the reason: the complaint file must say why it was not investigated."),
            Length(max=5000),
        ],
        filters=[strip],
        render_kw={"rows": 3},
    )

    def to_data(self) -> dict:
        return {"rejection_reason": self.rejection_reason.data}


class InvestigateForm(ConfirmForm):
    def to_data(self) -> dict:
        return {}


TRANSITION_FORMS = {
    "triage": TriageForm,
    "investigate": InvestigateForm,
    "resolve": ResolveForm,
    "close": CloseForm,
    "reject": RejectForm,
}


class CommentForm(AppForm):
    body = TextAreaField(
        "Add a comment",
        validators=[DataRequired(message="Write a comment first."), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
