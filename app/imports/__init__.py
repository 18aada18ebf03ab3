"""Bulk CSV import of lots, genealogy and shipments (web pages, CLI, services)."""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from . import routes  # noqa: E402,F401
