"""Recall forms: proposing a recall from an incident, and the RECALL moves."""

import re

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..models import CLASSIFICATIONS, DEPTHS, EFFECTIVENESS_LEVELS, REMEDIES
from ..signatures.forms import SignatureFields
from ..web.forms import AppForm, ConfirmForm, WholeNumberField, none_if_empty, strip

MAX_CODES = 1000  # lot codes typed into one box


def _text(label, message=None, max_length=10_000, rows=3, **kwargs):
    validators = [DataRequired(message=message)] if message else [Optional()]
    return TextAreaField(
        label,
        validators=[*validators, Length(max=max_length)],
        filters=[strip] if message else [none_if_empty],
        render_kw={"rows": rows},
        **kwargs,
    )


def _choice(label, choices, message):
    return SelectField(
        label, choices=[("", "— choose —"), *choices.items()], validators=[DataRequired(message=message)]
    )


def lot_codes(text: str | None) -> list[str]:
    """Lot codes typed one per line or separated by commas, in order, without repeats."""
    seen: dict[str, None] = {}
    for code in re.split(r"[,\n\r]+", text or ""):
        code = code.strip()
        if code:
            seen.setdefault(code[:64])
    return list(seen)


class ProposeForm(AppForm):
    title = StringField(
        "Title",
        validators=[DataRequired(message="Give the recall a short title."), Length(max=200)],
        filters=[strip],
    )
    reason = _text("Reason for the recall", "Say why the product is recalled.")
    hazard = _text(
        "Hazard, in plain words",
        "Describe the hazard in plain words.",
        description="As the notice will say it, e.g. “Pieces of hard plastic that can cut the mouth.”",
    )
    classification = _choice("Classification", CLASSIFICATIONS, "Choose the classification.")
    depth = _choice("Depth", DEPTHS, "Choose how far down the chain the recall goes.")
    public_warning = BooleanField("Public warning (press release)")
    effectiveness_level = _choice("Effectiveness check level", EFFECTIVENESS_LEVELS, "Choose the check level.")
    effectiveness_percent = WholeNumberField(
        "Share to check (%)",
        validators=[Optional(), NumberRange(min=11, max=99, message="Between 11 and 99 percent.")],
        description="Level B only.",
    )
    remedy = _choice("Remedy", REMEDIES, "Choose the remedy.")
    instructions = _text(
        "Instructions to consignees",
        "Say what consignees must do.",
        rows=4,
        description="What to do with the product: stop selling, count, return or destroy…",
    )
    estimated_completion = DateField("Estimated completion", validators=[Optional()])
    root_lots = _text(
        "Root lots",
        "Give at least one root lot code.",
        rows=3,
        description="One lot code per line (or separated by commas). The scope is traced forward from them.",
    )
    extends_id = SelectField(
        "Extends recall",
        coerce=int,
        choices=[(0, "— (the incident's first recall)")],
        validate_choice=False,  # the service checks it against the incident's live recalls
        description="Only for a second recall of one incident: the recall whose scope this one extends.",
    )
    exclude_lots = _text(
        "Lot codes to leave out",
        rows=2,
        description="Optional: lots the trace reaches that are not affected. Root lots are always kept.",
    )

    def validate_root_lots(self, field) -> None:
        if len(lot_codes(field.data)) > MAX_CODES:
            field.errors.append(f"At most {MAX_CODES} lot codes.")

    def validate_exclude_lots(self, field) -> None:
        if len(lot_codes(field.data)) > MAX_CODES:
            field.errors.append(f"At most {MAX_CODES} lot codes.")


class PlainForm(ConfirmForm):
    def to_data(self) -> dict:
        return {}


class CancelForm(AppForm):
    termination_note = _text("Why no recall", "Say why the product is not recalled.", max_length=5000)

    def to_data(self) -> dict:
        return {"termination_note": self.termination_note.data}


class CompleteForm(AppForm):
    completion_note = _text("Completion note", "Summarise how the recall was completed.", max_length=5000)

    def to_data(self) -> dict:
        return {"completion_note": self.completion_note.data}


class ApproveForm(SignatureFields, AppForm):
    def to_data(self) -> dict:
        return {"meaning": self.meaning.data}


class TerminateForm(SignatureFields, AppForm):
    termination_note = _text(
        "Termination note", "Say why the recall can be terminated (all product accounted for).", max_length=5000
    )

    def to_data(self) -> dict:
        return {"termination_note": self.termination_note.data, "meaning": self.meaning.data}


TRANSITION_FORMS = {
    "approve": ApproveForm,
    "cancel": CancelForm,
    "progress": PlainForm,
    "complete": CompleteForm,
    "reopen": PlainForm,
    "terminate": TerminateForm,
}
