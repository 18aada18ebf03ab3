"""Lots and traceability: lot search and pages, forward/backward traces, holds."""

from flask import Blueprint

bp = Blueprint("trace", __name__)

from . import routes  # noqa: E402,F401
