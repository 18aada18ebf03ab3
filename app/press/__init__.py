"""Press and public communications: inquiries, statements with four-eyes approval, one voice."""

from flask import Blueprint

bp = Blueprint("press", __name__)

from . import routes  # noqa: E402,F401
