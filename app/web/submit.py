"""The one place where a view's call to a service meets the domain's refusals.

`submit(form, work, ...)` runs the service and commits. On success it flashes what was done
and redirects; a domain refusal rolls everything back and becomes the form's errors and a
status code (a 403 goes to the error page); a refused signature is rolled back but the
attempt itself is audited in its own commit (21 CFR 11.300(d)); a record someone else saved
meanwhile sends the user back to look at it. Views hold no try/except of their own.
"""

from collections.abc import Callable

from flask import flash, redirect
from sqlalchemy.orm.exc import StaleDataError

from ..errors import DomainError, StaleRecord
from ..extensions import db
from ..signatures.services import SignatureRefused, record_refusal
from .forms import apply_domain_errors


def submit(
    form,
    work: Callable[[], object],
    *,
    success_url: str | Callable[[object], str],
    done: str | Callable[[object], str] | None = None,
    kind: str = "record",
    stale_url: str | None = None,
    signing: tuple[str, int, str, str] | None = None,
):
    """Run `work()` and commit. Returns a redirect, or the status code to render the form
    with (its errors filled in). `signing` is (record_type, id, label, action) of a signed
    move, for auditing a refused password."""
    try:
        result = work()
        db.session.commit()
    except SignatureRefused as error:
        db.session.rollback()  # nothing signed, nothing moved; the attempt itself is kept
        if signing is not None:
            from flask_login import current_user

            record_refusal(*signing, current_user)
            db.session.commit()
        apply_domain_errors(form, error)
        return error.status_code
    except (StaleDataError, StaleRecord):
        db.session.rollback()
        flash(f"Someone else changed this {kind} meanwhile; check it and try again.", "warning")
        return redirect(stale_url or (success_url if isinstance(success_url, str) else "/"))
    except DomainError as error:
        db.session.rollback()
        if error.status_code == 403:
            raise
        apply_domain_errors(form, error)
        return error.status_code
    if done is not None:
        flash(done(result) if callable(done) else done, "success")
    return redirect(success_url(result) if callable(success_url) else success_url)
