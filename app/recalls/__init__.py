from flask import Blueprint

bp = Blueprint("recalls", __name__)

from . import routes  # noqa: E402,F401
