"""The upload form of a bulk import."""

from flask_wtf.file import FileField, FileRequired

from ..web.forms import AppForm


class ImportForm(AppForm):
    file = FileField(
        "CSV file",
        validators=[FileRequired(message="Choose a CSV file to upload.")],
        description="UTF-8 CSV (comma, semicolon or tab separated); the first line names the columns.",
    )
