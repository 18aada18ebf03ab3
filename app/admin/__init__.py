from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import routes_masterdata, routes_users  # noqa: E402,F401
