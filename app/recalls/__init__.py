from flask import Blueprint

bp = Blueprint("recalls", __name__)

from . import notice_routes, notices, report_routes, routes  # noqa: E402,F401  (notices registers the letter attachment)
