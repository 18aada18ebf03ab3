"""Views hold no try/except of domain errors and no rollback: `app/web/submit.py` is the one
place that turns a refusal into form errors and a status code (issue 16, point 4). Read
from the source of every module that serves a page."""

import ast
import importlib
from pathlib import Path

import pytest

from app.errors import DomainError

ROOT = Path(__file__).resolve().parent.parent
THE_ONE_PLACE = {"app/web/submit.py"}


def _serves_pages(tree: ast.Module) -> bool:
    """A module with a view: a function decorated `@<bp>.route(...)`, or an `add_url_rule` call."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr == "route":
                    return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_url_rule":
            return True
    return False


def _route_modules() -> list[Path]:
    out = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in THE_ONE_PLACE:
            continue
        if "routes" in path.name or _serves_pages(ast.parse(path.read_text(encoding="utf-8"))):
            out.append(path)
    return out


def _refusals() -> set[str]:
    """DomainError and every subclass the app defines (its modules imported), and StaleDataError."""
    for path in _route_modules():
        importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    names, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names | {"StaleDataError"}


def _caught(handler: ast.ExceptHandler) -> list[str]:
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = []
    for node in types:
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):  # errors.NotAllowed
            names.append(node.attr)
    return names


def own_error_handling(source: str, refusals: set[str]) -> list[str]:
    """Lines of `source` that catch a domain refusal or roll the session back themselves."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            for name in _caught(node):
                if name in refusals:
                    found.append(f"{node.lineno}: except {name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rollback":
            found.append(f"{node.lineno}: rollback()")
    return found


def test_every_module_that_serves_pages_is_checked():
    names = {path.relative_to(ROOT).as_posix() for path in _route_modules()}
    assert {
        "app/complaints/routes.py",
        "app/admin/routes_users.py",
        "app/admin/routes_masterdata.py",
        "app/recalls/notice_routes.py",
        "app/respond/routes.py",
        "app/web/transitions.py",
    } <= names
    assert not names & THE_ONE_PLACE


def test_the_refusals_include_those_defined_beside_their_services():
    assert {"DomainError", "NotAllowed", "StaleRecord", "SignatureRefused", "AlreadyAnswered", "StaleDataError"} <= (
        _refusals()
    )


def test_views_leave_domain_errors_and_rollbacks_to_submit():
    refusals = _refusals()
    bad = []
    for path in _route_modules():
        name = path.relative_to(ROOT).as_posix()
        bad += [f"{name}:{line}" for line in own_error_handling(path.read_text(encoding="utf-8"), refusals)]
    assert not bad, "views go through app.web.submit.submit (its hooks say what differs):\n" + "\n".join(bad)


REFUSALS = {"DomainError", "NotAllowed", "StaleRecord", "AlreadyAnswered", "StaleDataError"}


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    save()\nexcept DomainError as error:\n    flash(error.message)\n",
        "try:\n    save()\nexcept (StaleRecord, StaleDataError):\n    pass\n",
        "try:\n    save()\nexcept ValueError:\n    pass\nexcept errors.NotAllowed:\n    raise\n",
        "def view():\n    try:\n        save()\n    except AlreadyAnswered:\n        return done, 409\n",
        "def view():\n    if not ok:\n        db.session.rollback()\n",
    ],
)
def test_own_error_handling_is_caught(source):
    assert own_error_handling(source, REFUSALS)


@pytest.mark.parametrize(
    "source",
    [
        "answer = submit(form, save, success_url=url, on_stale=stale)\n",
        "try:\n    number = int(raw)\nexcept (TypeError, ValueError):\n    number = None\n",
        "try:\n    save()\nexcept BuildError:\n    pass\n",
    ],
)
def test_other_code_passes(source):
    assert own_error_handling(source, REFUSALS) == []


# --- The hooks, on their own ---------------------------------------------------------------


class _Form:
    """Enough of a form for apply_domain_errors: one field that can carry errors."""

    def __init__(self):
        self.name = type("Field", (), {"errors": []})()


def _refuse(error):
    def work():
        raise error

    return work


def test_a_refusal_becomes_form_errors_and_its_status(app):
    from app.errors import ValidationError
    from app.web.submit import submit

    with app.test_request_context("/", method="POST"):
        form = _Form()
        status = submit(form, _refuse(ValidationError("Bad name.", {"name": ["Too short."]})), success_url="/")
        assert status == 422 and form.name.errors == ["Too short."]


def test_error_page_says_which_refusals_leave_the_form(app):
    from app.errors import InvalidTransition, NotAllowed
    from app.web.submit import submit

    with app.test_request_context("/", method="POST"):
        with pytest.raises(NotAllowed):
            submit(_Form(), _refuse(NotAllowed("No.")), success_url="/")
        assert submit(_Form(), _refuse(NotAllowed("No.")), success_url="/", error_page=()) == 403
        with pytest.raises(InvalidTransition):
            submit(_Form(), _refuse(InvalidTransition("Closed.")), success_url="/", error_page=(403, 409))


def test_on_error_answers_or_leaves_it_to_the_form(app):
    from app.errors import ValidationError
    from app.web.submit import submit

    with app.test_request_context("/", method="POST"):
        answered = submit(_Form(), _refuse(ValidationError("Bad.")), success_url="/", on_error=lambda e: ("page", 418))
        assert answered == ("page", 418)
        assert submit(_Form(), _refuse(ValidationError("Bad.")), success_url="/", on_error=lambda e: None) == 422


def test_on_stale_answers_a_lost_save(app):
    from sqlalchemy.orm.exc import StaleDataError

    from app.errors import StaleRecord
    from app.web.submit import submit

    with app.test_request_context("/", method="POST"):
        for error in (StaleRecord("Changed."), StaleDataError("version moved")):
            assert submit(_Form(), _refuse(error), success_url="/", on_stale=lambda: ("conflict", 409)) == (
                "conflict",
                409,
            )
        default = submit(_Form(), _refuse(StaleRecord("Changed.")), success_url="/list", kind="rule")
        assert default.status_code == 302 and default.location == "/list"


def test_undo_runs_when_the_commit_fails(app, monkeypatch):
    from app.extensions import db
    from app.web.submit import submit

    undone = []

    def fail():
        raise RuntimeError("database went away")

    with app.test_request_context("/", method="POST"):
        monkeypatch.setattr(db.session, "commit", fail)
        with pytest.raises(RuntimeError):
            submit(_Form(), lambda: "stored.file", success_url="/", undo=undone.append)
        monkeypatch.undo()
    assert undone == ["stored.file"]


def test_on_success_answers_instead_of_a_redirect(app):
    from app.web.submit import submit

    with app.test_request_context("/", method="POST"):
        assert submit(_Form(), lambda: 3, on_success=lambda n: (f"{n} moved", 200)) == ("3 moved", 200)
        done = submit(_Form(), lambda: 3, success_url=lambda n: f"/lots?moved={n}", done="Moved.")
        assert done.status_code == 302 and done.location == "/lots?moved=3"
