"""Incident forms: opening, editing (investigation and decision), scope, transitions."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import DECISIONS, FISHBONE
from ..signatures.forms import SignatureFields
from ..web.forms import AppForm, ConfirmForm, RiskFields, VersionedForm, none_if_empty, strip

WHY_COUNT = 5
# "Recall proposed" is the escalate move's decision, never typed in on its own.
EDITABLE_DECISIONS = {k: v for k, v in DECISIONS.items() if k != "recall_proposed"}


def _text(label, message=None, max_length=10_000, rows=3, **kwargs):
    validators = [DataRequired(message=message)] if message else [Optional()]
    return TextAreaField(
        label,
        validators=[*validators, Length(max=max_length)],
        filters=[strip] if message else [none_if_empty],
        render_kw={"rows": rows},
        **kwargs,
    )


class IncidentForm(RiskFields, VersionedForm):
    title = StringField(
        "Title",
        validators=[DataRequired(message="Give the incident a short title."), Length(max=200)],
        filters=[strip],
    )
    description = _text("Problem description", "Describe the problem.", rows=4)
    owner_id = SelectField("Owner", coerce=int, validators=[DataRequired(message="Choose the owner.")])

    def set_choices(self, owners) -> None:
        self.owner_id.choices = [(0, "— choose —")] + [(u.id, u.name) for u in owners]


class EditIncidentForm(IncidentForm):
    containment = _text("Containment", rows=3, description="What was done to stop affected product reaching people.")
    why_1 = StringField("Why 1", validators=[Optional(), Length(max=1000)], filters=[none_if_empty])
    why_2 = StringField("Why 2", validators=[Optional(), Length(max=1000)], filters=[none_if_empty])
    why_3 = StringField("Why 3", validators=[Optional(), Length(max=1000)], filters=[none_if_empty])
    why_4 = StringField("Why 4", validators=[Optional(), Length(max=1000)], filters=[none_if_empty])
    why_5 = StringField("Why 5", validators=[Optional(), Length(max=1000)], filters=[none_if_empty])
    fishbone_category = SelectField("Fishbone category", choices=[("", "— not yet known —"), *FISHBONE.items()])
    root_cause = _text("Root cause statement", rows=3)
    escape_point = _text("Escape point", rows=2, description="Where the problem should have been caught and was not.")
    decision = SelectField("Decision", choices=[("", "— not yet decided —"), *EDITABLE_DECISIONS.items()])
    decision_reason = _text("Reason for the decision", rows=2)

    def whys(self) -> list[str | None]:
        return [getattr(self, f"why_{n}").data for n in range(1, WHY_COUNT + 1)]

    def set_whys(self, texts: list[str]) -> None:
        for n in range(1, WHY_COUNT + 1):
            getattr(self, f"why_{n}").data = texts[n - 1] if n <= len(texts) else None


class LinkForm(AppForm):
    reference = StringField(
        "Complaint reference",
        validators=[DataRequired(message="Type the complaint's reference, e.g. CMP-2026-0001."), Length(max=20)],
        filters=[strip],
    )


class TraceForm(AppForm):
    """The chosen root lots come as repeated `root` checkboxes; a lot code may be typed too."""

    lot_code = StringField("…or a lot code", validators=[Optional(), Length(max=64)], filters=[none_if_empty])


class HoldForm(AppForm):
    reason = _text("Reason for the hold", "Give the reason for the hold.", max_length=2000, rows=2)


class InvestigateForm(ConfirmForm):
    def to_data(self) -> dict:
        return {}


class ContainForm(AppForm):
    containment = _text("Containment", "Describe the containment: what was held, stopped or withdrawn.", rows=4)

    def to_data(self) -> dict:
        return {"containment": self.containment.data}


class CloseForm(SignatureFields, AppForm):
    closing_summary = _text("Closing summary", "Summarise why the incident can be closed.", rows=3)

    def to_data(self) -> dict:
        return {"closing_summary": self.closing_summary.data, "meaning": self.meaning.data}


class ReopenForm(SignatureFields, AppForm):
    reopen_reason = _text("Why the incident is reopened", "Give the reason for reopening it.", rows=3)

    def to_data(self) -> dict:
        return {"reopen_reason": self.reopen_reason.data, "meaning": self.meaning.data}


# The forms of the moves made by hand (escalation comes with a recall proposal).
TRANSITION_FORMS = {
    "investigate": InvestigateForm,
    "contain": ContainForm,
    "close": CloseForm,
    "reopen": ReopenForm,
}
