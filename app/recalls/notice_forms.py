"""Forms of the notices pages: a notification given by hand, a response entered by marketing.
The rules (allowed methods, times, quantities) are checked by the services, which name the field."""

from wtforms import DateTimeLocalField, SelectField, TextAreaField
from wtforms.validators import Optional

from ..web.forms import AppForm, VersionedForm, strip
from ..web.response_form import ResponseForm
from .notices import HAND_METHODS, NOTE_LIMIT
from .responses import ELSEWHERE, QUANTITIES


class NotifyForm(AppForm):
    method = SelectField(
        "How the consignee was told",
        choices=[("", "— choose —"), *HAND_METHODS.items()],
        validate_choice=False,  # the service names a wrong method in words
    )
    notified_at = DateTimeLocalField(
        "When",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="In your time zone; left empty, now.",
    )
    notified_note = TextAreaField(
        "Note (optional)",
        filters=[strip],
        render_kw={"maxlength": NOTE_LIMIT, "rows": 3},
        description="Who you spoke to, the letter's reference…",
    )


class ManualResponseForm(ResponseForm, VersionedForm):
    """The public response form (same fields and checks), worded for marketing entering what
    a consignee said by phone, letter or email; it carries the notice's version, so two people
    saving one response do not lose a change silently."""

    LABELS = {
        "confirm_receipt": "The consignee confirmed they received the recall notice",
        "distributed_further": "Did they pass any of it on to others?",
        "response_by": "Answered by (the person at the consignee)",
        "response_comment": "Comment (optional): how the answer came, anything to note",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in self.LABELS.items():
            self[name].label.text = text
        self.distributed_further.choices = [("no", "No"), ("yes", "Yes — they passed the notice on")]

    def fill_from(self, notice) -> None:
        """Prefill with the answer already stored (a correction starts from it), lot by lot."""
        self.confirm_receipt.data = True
        for line, quantities, elsewhere in self.lot_rows:
            for name in QUANTITIES:
                quantities[name].data = getattr(line.line, name)
            elsewhere.data = getattr(line.line, ELSEWHERE)
        if notice.distributed_further is not None:
            self.distributed_further.data = "yes" if notice.distributed_further else "no"
        self.response_by.data = notice.response_by
        self.response_comment.data = notice.response_comment
