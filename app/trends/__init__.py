"""Trends: complaints per week, the Pareto of categories, complaint rates per lot and recall
effectiveness over time, as server-drawn charts with their data as tables and CSV."""

from flask import Blueprint

bp = Blueprint("trends", __name__)

from . import routes  # noqa: E402,F401
