"""Friendly error pages: never a stack trace, always a message that says what happened."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..errors import DomainError
from ..extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "There is no such page or record.",
    405: "That action is not available here.",
    409: "The record changed in a way that stops this action.",
    413: "The file is too large.",
    422: "The request could not be processed.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you entered was saved; try again.",
}


def render_error(status: int, message: str | None = None):
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return (
        render_template(template, status=status, message=message or MESSAGES.get(status, "Error.")),
        status,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "The form expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return render_error(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        description = error.description if error.description != type(error).description else None
        response = render_error(error.code, description)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
