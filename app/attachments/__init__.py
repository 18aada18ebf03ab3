from flask import Blueprint

bp = Blueprint("attachments", __name__)

from . import routes  # noqa: E402,F401
