"""Sign-in and account forms."""

from zoneinfo import available_timezones

from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..web.forms import AppForm, strip
from .passwords import MIN_LENGTH as MIN_PASSWORD


def timezone_choices():
    return [("", "Site default")] + [(z, z) for z in sorted(available_timezones())]


class LoginForm(AppForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)], filters=[strip])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me signed in on this computer")


class AccountForm(AppForm):
    timezone = SelectField("Time zone", validators=[Optional()])
    current_password = PasswordField("Current password", validators=[Optional(), Length(max=256)])
    new_password = PasswordField(
        "New password",
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD, max=256, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
    )
    confirm_password = PasswordField(
        "Repeat new password", validators=[EqualTo("new_password", message="The passwords differ.")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
