from flask import Blueprint

bp = Blueprint("incidents", __name__)

from . import routes  # noqa: E402,F401
