"""Admin forms: users, products, customers, CSV upload."""

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import MIN_PASSWORD, timezone_choices
from ..models import CUSTOMER_KINDS, PRODUCT_KINDS
from ..permissions import ROLE_LABELS
from ..web.forms import AppForm, VersionedForm, none_if_empty, strip


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(VersionedForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="Use letters, digits, dot, dash or underscore."),
        ],
        filters=[strip],
    )
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)], filters=[strip])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip])
    roles = MultiCheckboxField(
        "Roles",
        choices=list(ROLE_LABELS.items()),
        validators=[DataRequired(message="Give at least one role.")],
    )
    timezone = SelectField("Time zone", validators=[Optional()])
    active = BooleanField("Active (may sign in)", default=True)
    password = PasswordField(
        "Password",
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD, max=256, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
        description="Required for a new user; leave empty to keep the current password.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class ProductForm(VersionedForm):
    sku = StringField(
        "SKU",
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(r"^[^\s,;]+$", message="No spaces, commas or semicolons."),
        ],
        filters=[strip],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip])
    unit = StringField(
        "Unit",
        validators=[DataRequired(), Length(max=20)],
        filters=[strip],
        description="For example: case, kg, each, bottle.",
    )
    kind = SelectField("Kind", choices=list(PRODUCT_KINDS.items()), validators=[DataRequired()])


class CustomerForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)], filters=[strip])
    kind = SelectField("Kind", choices=list(CUSTOMER_KINDS.items()), validators=[DataRequired()])
    email = EmailField("Email", validators=[Optional(), Email(), Length(max=254)], filters=[none_if_empty])
    phone = StringField("Phone", validators=[Optional(), Length(max=50)], filters=[none_if_empty])
    address = StringField("Address", validators=[Optional(), Length(max=500)], filters=[none_if_empty])
    country = StringField(
        "Country (2 letters)",
        validators=[Optional(), Regexp(r"^[A-Za-z]{2}$", message="Use a two-letter code such as US or DE.")],
        filters=[none_if_empty],
    )


class UploadForm(AppForm):
    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file to upload.")])
