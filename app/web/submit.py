"""The one place where a view's call to a service meets the domain's refusals.

`submit(form, work, ...)` runs the service and commits. On success it flashes what was done
and redirects; a domain refusal rolls everything back and becomes the form's errors and a
status code (a 403 goes to the error page); a refused signature is rolled back but the
attempt itself is audited in its own commit (21 CFR 11.300(d)); a record someone else saved
meanwhile (its version moved, a concurrent save took a key first, or SQLite refused a write
after another one) sends the user back to look at it. Views hold no try/except of their own: what a
view does differently (an edit form that shows the conflicting version, a button that has
no form to show a refusal on) it says through the hooks below.
"""

from collections.abc import Callable, Collection

from flask import current_app, flash, redirect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..errors import DomainError, StaleRecord
from ..extensions import db
from ..signatures.services import SignatureLocked, SignatureRefused, record_refusal
from .forms import apply_domain_errors


def submit(
    form,
    work: Callable[[], object],
    *,
    success_url: str | Callable[[object], str] | None = None,
    done: str | Callable[[object], str] | None = None,
    on_success: Callable[[object], object] | None = None,
    kind: str = "record",
    stale_url: str | None = None,
    on_stale: Callable[[], object] | None = None,
    on_error: Callable[[DomainError], object] | None = None,
    error_page: Collection[int] = (403,),
    undo: Callable[[object], None] | None = None,
    signing: tuple[str, int, str, str] | None = None,
):
    """Run `work()` and commit. Returns a response, or the status code to render the form
    with (its errors filled in).

    - success: flash `done` and redirect to `success_url` (either may be a function of what
      `work` returned), or let `on_success(result)` answer (a page, a flash of its own kind);
    - someone else saved the record meanwhile: `on_stale()` answers (an edit form showing the
      saved version beside the user's, see `warn_stale`), else a warning and a redirect to
      `stale_url` (or `success_url`) naming the `kind` of record;
    - a refusal whose status is in `error_page` (a 403 by default; (403, 409) for a view that
      refused those before the form) goes to the error page; any other is answered by
      `on_error(error)` when it returns something (a button with no form flashes and
      redirects), else it becomes the form's errors and its status code is returned;
    - `undo(result)` reverses what `work` did outside the database (a stored file) when the
      commit fails;
    - `signing` is (record_type, id, label, action) of a signed move, for auditing a
      refused password.
    """
    try:
        result = work()
        _commit(result, undo)
    except SignatureRefused as error:
        db.session.rollback()  # nothing signed, nothing moved; the attempt itself is kept
        if signing is not None:
            from flask_login import current_user

            record_refusal(*signing, current_user, locked=isinstance(error, SignatureLocked))
            db.session.commit()
        apply_domain_errors(form, error)
        return error.status_code
    except (StaleDataError, StaleRecord, IntegrityError, OperationalError) as error:
        db.session.rollback()
        if isinstance(error, (IntegrityError, OperationalError)) and not lost_race(error):
            raise
        if on_stale is not None:
            return on_stale()
        flash(f"Someone else changed this {kind} meanwhile; check it and try again.", "warning")
        return redirect(stale_url or (success_url if isinstance(success_url, str) else "/"))
    except DomainError as error:
        db.session.rollback()
        if error.status_code in error_page:
            raise
        if on_error is not None and (answer := on_error(error)) is not None:
            return answer
        apply_domain_errors(form, error)
        return error.status_code
    if on_success is not None:
        return on_success(result)
    if done is not None:
        flash(done(result) if callable(done) else done, "success")
    return redirect(success_url(result) if callable(success_url) else success_url)


def lost_race(error: Exception) -> bool:
    """A save that lost to a concurrent one: a key the other took first (IntegrityError), or
    SQLite refusing to let a transaction write after another wrote since it read ("database
    is locked", SQLITE_BUSY). Logged: a constraint broken any other way would show here too."""
    if isinstance(error, IntegrityError):
        current_app.logger.warning("save refused by a constraint, answered as stale: %s", error.orig)
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def _commit(result, undo: Callable[[object], None] | None) -> None:
    try:
        db.session.commit()
    except BaseException:
        if undo is not None:
            db.session.rollback()
            undo(result)
        raise
