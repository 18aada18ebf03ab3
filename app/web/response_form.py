"""The recall response form: filled in by a consignee (app/respond) or, for them, by marketing
(app/recalls); their own words are only ever shown as text."""

from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..models.recall import RESPONSE_COMMENT_LIMIT, RESPONSE_NAME_LIMIT
from .forms import AppForm, strip

QUANTITY_HELP = "In the unit shown beside each lot; 0 if none."


class ResponseForm(AppForm):
    confirm_receipt = BooleanField(
        "We received this recall notice",
        validators=[InputRequired("Tick the box to confirm you received the recall notice.")],
    )
    quantity_on_hand = StringField("Quantity still on hand", filters=[strip], description=QUANTITY_HELP)
    quantity_returned = StringField("Quantity returned to the supplier", filters=[strip], description=QUANTITY_HELP)
    quantity_destroyed = StringField("Quantity destroyed", filters=[strip], description=QUANTITY_HELP)
    distributed_further = RadioField(
        "Did you pass any of it on to others?",
        choices=[("no", "No"), ("yes", "Yes — we passed the notice on to them")],
        validate_choice=False,  # the service names the error in words
    )
    response_by = StringField("Your name", filters=[strip], validators=[Length(max=RESPONSE_NAME_LIMIT)])
    response_comment = TextAreaField(
        "Comment (optional)", filters=[strip], validators=[Length(max=RESPONSE_COMMENT_LIMIT)]
    )

    def to_data(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
