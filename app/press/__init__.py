"""Press and public communications: inquiries, statements with four-eyes approval, one voice."""

from flask import Blueprint

bp = Blueprint("press", __name__)
