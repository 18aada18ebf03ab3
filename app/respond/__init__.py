"""The consignee's recall response page: reached by the link in a notice, no login."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from . import routes  # noqa: E402,F401
