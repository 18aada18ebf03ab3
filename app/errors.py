"""Domain errors: services raise them, views turn them into a clear message and a 4xx."""


class DomainError(Exception):
    """A rule of the domain refused the request; the message says what to fix."""

    status_code = 422

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationError(DomainError):
    status_code = 422


class NotAllowed(DomainError):
    """The user may not do this to this record."""

    status_code = 403


class InvalidTransition(DomainError):
    """The record is not in a state where this move is possible."""

    status_code = 409


class StaleRecord(DomainError):
    """Somebody else saved the record after this form was opened."""

    status_code = 409
