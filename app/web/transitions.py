"""The submit half of a signed-transition page, shared by the record types that have one.

A refused signature rolls back the move but keeps the attempt (audited in its own commit);
a stale record sends the user back to look; a domain refusal becomes form errors (403s
propagate to the error page).
"""

from collections.abc import Callable

from flask import flash, redirect
from sqlalchemy.orm.exc import StaleDataError

from ..errors import DomainError
from ..extensions import db
from ..signatures.services import SignatureRefused, record_refusal
from .forms import apply_domain_errors


def submit_transition(
    form,
    apply: Callable[[], None],
    *,
    record_type: str,
    record_id: int,
    reference: str,
    name: str,
    actor,
    detail_url: str,
    kind: str,
    done_message: Callable[[], str],
):
    """Run `apply` and commit. Returns a redirect on success or staleness, else the status
    code to render the form with (its errors filled in)."""
    try:
        apply()
        db.session.commit()
    except SignatureRefused as error:
        db.session.rollback()  # nothing signed, nothing moved; the attempt itself is kept
        record_refusal(record_type, record_id, reference, name, actor)
        db.session.commit()
        apply_domain_errors(form, error)
        return error.status_code
    except StaleDataError:
        db.session.rollback()
        flash(f"Someone else changed this {kind} meanwhile; check it and try again.", "warning")
        return redirect(detail_url)
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            raise
        apply_domain_errors(form, error)
        return error.status_code
    flash(done_message(), "success")
    return redirect(detail_url)
