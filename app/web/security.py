"""Security headers on every response."""

from flask import Flask, request

# Files that are the same for everyone (CSS, JS, fonts) may be cached; nothing else may.
CACHEABLE_ENDPOINTS = {"static", "bootstrap.static"}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def set_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            # Pages, CSV exports, PDF reports and attachments hold records of the company or of a
            # consignee: a shared or back-button cache must not keep them after sign-out.
            response.headers["Cache-Control"] = "no-store"
        return response
