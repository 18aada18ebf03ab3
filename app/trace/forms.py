"""Forms for lot status changes."""

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..web.forms import AppForm, strip
from ..workflow import LOT


class StatusForm(AppForm):
    """Change the status of chosen lots, or of every lot of a trace (scope=all)."""

    move = SelectField("Action", choices=[(t.name, t.label) for t in LOT.transitions], validators=[DataRequired()])
    scope = SelectField(
        "Which lots",
        choices=[("chosen", "The lots ticked below"), ("all", "Every lot of this trace")],
        default="chosen",
    )
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(message="Give the reason for this change."), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
        description="Recorded on every lot and in the audit trail.",
    )
    back = HiddenField()
