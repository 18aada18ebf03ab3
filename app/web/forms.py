"""Shared form pieces."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


def strip(value):
    return value.strip() if isinstance(value, str) else value


def none_if_empty(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with its CSRF token."""


class VersionedForm(FlaskForm):
    """A form for an editable record: carries the version it was opened at."""

    version = HiddenField()

    def opened_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None
