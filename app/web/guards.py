"""Checks every request passes before reaching a view."""

from flask import Flask, abort, request

from .security import register_security_headers


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        # No field of ours may hold a NUL byte, and PostgreSQL refuses one in text:
        # turn it into a clear 400 here instead of a database error later.
        if _has_nul(request.args) or (request.method == "POST" and _has_nul(request.form)):
            abort(400, description="The request contains a NUL character; remove it and try again.")

    register_security_headers(app)
