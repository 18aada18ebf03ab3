from flask import Blueprint

bp = Blueprint("capa", __name__)

from . import routes  # noqa: E402,F401
