"""CAPA forms: create/edit, the transition forms (verify is signed), justification."""

from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..models import ACTION_KINDS, MEANINGS
from ..signatures.forms import SignatureFields
from ..web.forms import AppForm, ConfirmForm, VersionedForm, strip


def _text(label: str, message: str, rows: int = 3, **kw):
    return TextAreaField(
        label,
        validators=[DataRequired(message=message), Length(max=10_000)],
        filters=[strip],
        render_kw={"rows": rows},
        **kw,
    )


class ActionForm(VersionedForm):
    description = _text("What will be done", "Describe the action.")
    owner_id = SelectField("Owner", coerce=int, validators=[DataRequired(message="Choose the owner.")])
    due_date = DateField("Due date", validators=[InputRequired(message="Enter a due date.")])
    effectiveness_check = _text(
        "Effectiveness check",
        "Say what will show the action worked.",
        description="What will show the action worked (e.g. no repeat complaint for 3 months).",
    )
    effectiveness_due = DateField(
        "Effectiveness check due",
        validators=[InputRequired(message="Enter when the effectiveness will be checked.")],
    )

    def set_choices(self, users) -> None:
        self.owner_id.choices = [(0, "— choose —")] + [(u.id, u.name) for u in users]

    def to_data(self) -> dict:
        names = ("kind", "description", "owner_id", "due_date", "effectiveness_check", "effectiveness_due")
        return {name: self[name].data for name in names if name in self}


class NewActionForm(ActionForm):
    kind = SelectField(
        "Kind",
        choices=[("", "— choose —"), *ACTION_KINDS.items()],
        validators=[DataRequired(message="Choose corrective or preventive.")],
    )


class StartForm(ConfirmForm):
    def to_data(self) -> dict:
        return {}


class ImplementForm(AppForm):
    implementation_note = _text("What was done", "Say what was done.", rows=4)

    def to_data(self) -> dict:
        return {"implementation_note": self.implementation_note.data}


class IneffectiveForm(AppForm):
    effectiveness_result = _text("Effectiveness result", "Record what the check found.", rows=4)

    def to_data(self) -> dict:
        return {"effectiveness_result": self.effectiveness_result.data}


class VerifyForm(SignatureFields, IneffectiveForm):
    def set_meaning(self, meaning: str) -> None:
        """A signed move has one meaning: offer only that one."""
        self.meaning.choices = [(meaning, MEANINGS[meaning])]

    def to_data(self) -> dict:
        return super().to_data() | {"meaning": self.meaning.data, "password": self.password.data}


TRANSITION_FORMS = {
    "start": StartForm,
    "implement": ImplementForm,
    "verify": VerifyForm,
    "ineffective": IneffectiveForm,
    "rework": StartForm,
}


class JustifyForm(AppForm):
    justification = _text(
        "Why the incident may close without this action verified",
        "Give the justification.",
        description="Kept on the action and the incident's timeline.",
    )
