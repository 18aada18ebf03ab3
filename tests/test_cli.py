"""Command line: `flask users create`, `flask demo load`, `flask audit verify`."""

import pytest
import sqlalchemy as sa

from app.auth.services import authenticate
from app.extensions import db
from app.models import AuditEvent, Complaint, Customer, Product, User

GOOD_PASSWORD = "a-long-enough-password"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def all_counts() -> dict[str, int]:
    return {m.__name__: count(m) for m in (User, Product, Customer, Complaint, AuditEvent)}


def create_user(runner, *args, password=GOOD_PASSWORD):
    return runner.invoke(args=["users", "create", *args], input=f"{password}\n")


def audit_ids() -> list[int]:
    return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def tamper(event_id: int, column: str, value) -> None:
    """Change one stored audit event behind the application's back, as an intruder would."""
    assert column in {"changes", "actor_name", "action", "record_label", "prev_hash"}
    db.session.execute(
        sa.text(f"UPDATE audit_events SET {column} = :value WHERE id = :id"), {"value": value, "id": event_id}
    )
    db.session.commit()


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


# --- users create ------------------------------------------------------------------------


def test_users_create_with_password_on_stdin(runner):
    result = create_user(
        runner,
        "quality.lead",
        "--role",
        "production",
        "--role",
        "admin",
        "--email",
        "q@example.com",
        "--name",
        "Quinn Lead",
    )

    assert result.exit_code == 0, result.output
    assert "Created user quality.lead with roles admin, production." in result.output
    user = authenticate("quality.lead", GOOD_PASSWORD)
    assert user is not None
    assert user.roles == ["admin", "production"]
    assert (user.name, user.email, user.active) == ("Quinn Lead", "q@example.com", True)
    assert authenticate("quality.lead", "wrong-password") is None
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == "user"))
    assert (event.action, event.record_id, event.actor_name) == ("created", user.id, "system")


def test_users_create_name_defaults_to_username(runner):
    result = create_user(runner, "sam", "--role", "sales", "--email", "sam@example.com")
    assert result.exit_code == 0, result.output
    assert authenticate("sam", GOOD_PASSWORD).name == "sam"


def test_users_create_reads_only_the_first_line(runner):
    result = runner.invoke(
        args=["users", "create", "pat", "--role", "sales", "--email", "pat@example.com"],
        input=f"{GOOD_PASSWORD}\r\nsecond line\n",
    )
    assert result.exit_code == 0, result.output
    assert authenticate("pat", GOOD_PASSWORD) is not None
    assert authenticate("pat", f"{GOOD_PASSWORD}\r") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 10 characters"),
        ("123456789", "Use at least 10 characters"),
        ("", "Use at least 10 characters"),
        ("shorty-is-my-name", "Do not use your username"),
        ("aaaaaaaaaaaa", "Use more different characters"),
        ("qwertyuiop", "among the first ones attackers try"),
    ],
)
def test_users_create_refuses_weak_passwords(runner, password, message):
    before = all_counts()
    result = create_user(runner, "shorty", "--role", "sales", "--email", "s@example.com", password=password)
    assert result.exit_code != 0
    assert message in result.output
    assert all_counts() == before


def test_users_create_refuses_empty_stdin(runner):
    result = runner.invoke(args=["users", "create", "nobody", "--role", "sales", "--email", "n@example.com"], input="")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert count(User) == 0


def test_users_create_refuses_unknown_role(runner):
    result = create_user(runner, "boss", "--role", "superuser", "--email", "b@example.com")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert "superuser" in result.output
    assert "sales" in result.output  # the message lists the roles that exist
    assert all_counts() == dict.fromkeys(all_counts(), 0)


def test_users_create_requires_a_role_and_an_email(runner):
    no_role = create_user(runner, "norole", "--email", "n@example.com")
    assert no_role.exit_code == 2
    assert "--role" in no_role.output
    no_email = create_user(runner, "noemail", "--role", "sales")
    assert no_email.exit_code == 2
    assert "--email" in no_email.output
    assert count(User) == 0


@pytest.mark.parametrize("username", ["dup", "DUP"])
def test_users_create_refuses_duplicate_username(runner, username):
    assert create_user(runner, "dup", "--role", "sales", "--email", "d@example.com").exit_code == 0
    before = all_counts()

    result = create_user(runner, username, "--role", "admin", "--email", "e@example.com", password="other-password-1")

    assert result.exit_code == 1
    assert f"The username '{username}' is taken; choose another." in result.output
    assert "Traceback" not in result.output
    assert all_counts() == before
    user = authenticate("dup", GOOD_PASSWORD)
    assert user.roles == ["sales"]
    assert authenticate(username, "other-password-1") is None


# --- demo load ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["demo", "load"], ["demo", "load", "--if-empty"]])
def test_demo_load_is_refused_in_production(app, runner, args):
    app.config["DEMO_DATA_ALLOWED"] = False  # as ProdConfig sets it
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "refused in production" in result.output
    assert count(User) == 0


def test_demo_load_creates_the_demo_users(runner):
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    for username in ("sales", "production", "marketing", "admin"):
        user = authenticate(username, "demo")
        assert user is not None, username
        assert user.roles == [username]
    assert count(User) == 4
    assert count(Product) > 0
    assert count(Customer) > 0
    assert count(Complaint) > 0


def test_demo_load_if_empty_twice_does_nothing_the_second_time(runner):
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    before = all_counts()

    second = runner.invoke(args=["demo", "load", "--if-empty"])

    assert second.exit_code == 0, second.output
    assert "demo data not loaded" in second.output
    assert all_counts() == before


def test_demo_load_if_empty_skips_a_database_with_users(runner, make_user):
    make_user(("admin",), username="real-admin")
    before = all_counts()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not loaded" in result.output
    assert all_counts() == before
    assert authenticate("admin", "demo") is None


def test_demo_load_refuses_a_database_with_data(runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    before = all_counts()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "The database is not empty" in result.output
    assert all_counts() == before


# --- audit verify ------------------------------------------------------------------------


def test_audit_verify_on_an_empty_trail(runner):
    result = verify(runner)
    assert result.exit_code == 0
    assert "OK: 0 audit events verified." in result.output


def test_audit_verify_ok_on_demo_data(runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    events = count(AuditEvent)
    assert events >= 10

    result = verify(runner)

    assert result.exit_code == 0, result.output
    assert f"OK: {events} audit events verified." in result.output


@pytest.mark.parametrize(
    ("column", "value"),
    [("changes", '{"name": [null, "Someone else"]}'), ("actor_name", "Mallory"), ("action", "viewed")],
)
def test_audit_verify_names_an_edited_event(runner, column, value):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    ids = audit_ids()
    middle = ids[len(ids) // 2]
    tamper(middle, column, value)

    result = verify(runner)

    assert result.exit_code == 1
    assert f"BROKEN at audit event #{middle}:" in result.output
    assert "its content does not match its hash" in result.output
    assert f"{ids.index(middle)} events before it are intact." in result.output
    assert "OK:" not in result.output


def test_audit_verify_names_the_event_after_a_deleted_one(runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    ids = audit_ids()
    middle = ids[len(ids) // 2]
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": middle})
    db.session.commit()
    following = ids[ids.index(middle) + 1]

    result = verify(runner)

    assert result.exit_code == 1
    assert f"BROKEN at audit event #{following}:" in result.output
    assert "link to the previous event is broken" in result.output


def test_audit_verify_catches_an_edit_that_recomputes_the_hash(runner):
    """Rewriting an event and its own hash still breaks the link from the next event."""
    from app.audit.seal import compute_hash

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    ids = audit_ids()
    middle = ids[len(ids) // 2]
    event = db.session.get(AuditEvent, middle)
    event.actor_name = "Mallory"
    new_hash = compute_hash(event)
    db.session.rollback()
    db.session.execute(
        sa.text("UPDATE audit_events SET actor_name = :name, hash = :hash WHERE id = :id"),
        {"name": "Mallory", "hash": new_hash, "id": middle},
    )
    db.session.commit()

    result = verify(runner)

    assert result.exit_code == 1
    assert f"BROKEN at audit event #{ids[ids.index(middle) + 1]}:" in result.output


def test_users_create_refuses_a_bad_email(app, runner):
    result = runner.invoke(
        args=["users", "create", "bademail", "--role", "sales", "--email", "not-an-email"],
        input="long-enough-1\n",
    )
    assert result.exit_code != 0
    assert "email address is not valid" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.username == "bademail")) == 0
