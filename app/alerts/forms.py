"""Alert forms: a rule (who hears about which event), a switch for a rule."""

from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..admin.forms import MultiCheckboxField
from ..permissions import ROLE_LABELS, ROLES
from ..web.forms import AppForm, VersionedForm, WholeNumberField, strip
from .catalogue import EVENTS, event_choices
from .rules import NAME_MAX


def _labels(flag: str) -> str:
    return ", ".join(spec.label for spec in EVENTS.values() if getattr(spec, flag))


class RuleForm(VersionedForm):
    name = StringField(
        "Name",
        validators=[DataRequired(message="Give the rule a name."), Length(max=NAME_MAX)],
        filters=[strip],
        description="What the rule is for, as admins will read it in the list.",
    )
    event = SelectField("Event", validators=[DataRequired(message="Choose an event.")])
    roles = MultiCheckboxField("Roles", choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    users = SelectMultipleField("Named users", coerce=int, render_kw={"size": 8})
    notify_assignee = BooleanField("Also tell the assignee")
    min_severity = WholeNumberField(
        "Minimum severity (1–5)",
        validators=[Optional(), NumberRange(min=1, max=5, message="Enter a whole number from 1 to 5.")],
        description=(
            "Only events with a severity (complaints, incidents); events without a severity "
            "match only rules without a minimum."
        ),
    )
    enabled = BooleanField("Enabled", default=True)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.event.choices = [("", "— choose —"), *event_choices()]
        self.users.choices = [(u.id, f"{u.name} ({u.username}){'' if u.active else ' – deactivated'}") for u in users]
        self.notify_assignee.description = (
            "The person the record names (investigator, incident owner, action owner). "
            f"Only for events that name one: {_labels('has_assignee')}."
        )

    def to_data(self) -> dict:
        return {
            "name": self.name.data,
            "event": self.event.data,
            "roles": self.roles.data or [],
            "user_ids": self.users.data or [],
            "notify_assignee": self.notify_assignee.data,
            "min_severity": self.min_severity.data,
            "enabled": self.enabled.data,
        }


class ToggleForm(AppForm):
    """Switch a rule on ("1") or off ("0"); without a value, flip it."""

    enabled = HiddenField()

    def wanted(self, current: bool) -> bool:
        if self.enabled.data in ("1", "0"):
            return self.enabled.data == "1"
        return not current
