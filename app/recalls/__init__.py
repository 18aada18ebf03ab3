from flask import Blueprint

bp = Blueprint("recalls", __name__)

from . import notices, routes  # noqa: E402,F401  (notices registers the letter attachment)
