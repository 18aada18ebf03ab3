"""The signature fields every signed move's form includes."""

from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, Length

from ..models import MEANINGS


class SignatureFields:
    """Mix into a FlaskForm: the meaning and the signer's password (re-entered)."""

    meaning = SelectField(
        "Meaning of your signature",
        choices=[("", "— choose —"), *MEANINGS.items()],
        validators=[DataRequired(message="Choose what your signature means.")],
    )
    password = PasswordField(
        "Your password (to sign)",
        validators=[DataRequired(message="Re-enter your password to sign."), Length(max=256)],
        description="Signing with your password is the legal equivalent of your handwritten signature.",
    )
