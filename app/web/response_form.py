"""The recall response form: filled in by a consignee (app/respond) or, for them, by marketing
(app/recalls); their own words are only ever shown as text. One row per lot shipped to the
consignee, each answered in that lot's unit."""

from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..models.quantity import QUANTITY_HELP
from ..models.recall import RESPONSE_COMMENT_LIMIT, RESPONSE_NAME_LIMIT
from .forms import AppForm, QuantityField, strip

# The per-lot fields: (name suffix, column heading). The field of the i-th lot (in the order
# of recalls.responses.answer_lines) is lot_<i>_<suffix>, as the service names its errors.
LOT_QUANTITIES = (
    ("quantity_on_hand", "Still on hand"),
    ("quantity_returned", "Returned to the supplier"),
    ("quantity_destroyed", "Destroyed"),
)
ELSEWHERE_LABEL = "We also received this lot from elsewhere"
LOT_HELP = (
    "For each lot, in the unit shown beside it; 0 if none. " + QUANTITY_HELP + " More than we shipped you of a "
    "lot is taken only if you tick “" + ELSEWHERE_LABEL + "” for it."
)


class ResponseForm(AppForm):
    confirm_receipt = BooleanField(
        "We received this recall notice",
        validators=[InputRequired("Tick the box to confirm you received the recall notice.")],
    )
    distributed_further = RadioField(
        "Did you pass any of it on to others?",
        choices=[("no", "No"), ("yes", "Yes — we passed the notice on to them")],
        validate_choice=False,  # the service names the error in words
    )
    response_by = StringField("Your name", filters=[strip], validators=[Length(max=RESPONSE_NAME_LIMIT)])
    response_comment = TextAreaField(
        "Comment (optional)", filters=[strip], validators=[Length(max=RESPONSE_COMMENT_LIMIT)]
    )
    lot_rows: list = []  # [(answer line, {suffix: field}, elsewhere field)] once built for a notice
    lot_columns = LOT_QUANTITIES
    lot_help = LOT_HELP

    @classmethod
    def for_lines(cls, lines, *args, **kwargs):
        """The form for a notice whose lots are `lines` (recalls.responses.AnswerLine, in order):
        three quantities and the "from elsewhere" box per lot."""
        fields = {}
        for i, line in enumerate(lines):
            for suffix, heading in LOT_QUANTITIES:
                fields[f"lot_{i}_{suffix}"] = QuantityField(f"Lot {line.code}: {heading.lower()} ({line.unit})")
            fields[f"lot_{i}_received_elsewhere"] = BooleanField(f"{ELSEWHERE_LABEL} ({line.code})")
        form = type(cls.__name__, (cls,), fields)(*args, **kwargs)
        form.lot_rows = [
            (
                line,
                {suffix: form[f"lot_{i}_{suffix}"] for suffix, _ in LOT_QUANTITIES},
                form[f"lot_{i}_received_elsewhere"],
            )
            for i, line in enumerate(lines)
        ]
        return form

    def to_data(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "version")}
