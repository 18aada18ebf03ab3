"""Admin user management: create, edit roles, deactivate, self-protection, audit, stale edits."""

import pytest
import sqlalchemy as sa

from app.auth.services import authenticate
from app.extensions import db
from app.models import AuditEvent, User
from tests.factories import PASSWORD, sign_in

NEW_PASSWORD = "a-brand-new-pass"


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def user_events(user_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.record_type == "user", AuditEvent.record_id == user_id)
            .order_by(AuditEvent.id)
        )
    )


def fetch(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def new_user_form(**overrides) -> dict:
    data = {
        "username": "newbie",
        "name": "New Bie",
        "email": "newbie@example.com",
        "roles": ["sales", "production"],
        "timezone": "",
        "active": "y",
        "password": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def edit_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "roles": list(user.roles),
        "timezone": user.timezone or "",
        "active": "y" if user.active else "",
        "password": "",
        "version": str(user.version),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != "" or k in ("timezone", "password", "version")}


def test_users_page_lists_users(login_as, make_user):
    admin = login_as("admin")
    make_user(("marketing",), username="mara")
    page = admin.get("/admin/users")
    assert page.status_code == 200
    assert b"mara" in page.data
    assert admin.get("/admin/users/new").status_code == 200


def test_admin_creates_user_who_can_sign_in(app, login_as):
    admin = login_as("admin")
    before = user_count()

    response = admin.post("/admin/users/new", data=new_user_form())

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users")
    assert user_count() == before + 1
    user = fetch("newbie")
    assert user.roles == ["production", "sales"]
    assert user.name == "New Bie"
    assert user.email == "newbie@example.com"
    assert user.active
    assert authenticate("newbie", NEW_PASSWORD).id == user.id
    assert authenticate("newbie", "wrong-password") is None

    listing = admin.get("/admin/users")
    assert b"User newbie created." in listing.data

    newcomer = app.test_client()
    assert sign_in(newcomer, "newbie", NEW_PASSWORD).status_code == 302
    assert newcomer.get("/home").status_code == 200

    events = user_events(user.id)
    assert [e.action for e in events] == ["created"]
    assert events[0].actor_id == admin.user.id
    assert events[0].record_label == "newbie"
    assert "production" in events[0].changes and "sales" in events[0].changes


@pytest.mark.parametrize("username", ["taken", "TAKEN"])
def test_duplicate_username_is_refused(login_as, make_user, username):
    admin = login_as("admin")
    make_user(("sales",), username="taken")
    users, events = user_count(), audit_count()

    response = admin.post("/admin/users/new", data=new_user_form(username=username))

    assert response.status_code == 422
    assert f"The username &#39;{username}&#39; is taken; choose another.".encode() in response.data
    assert b"This username is taken." in response.data
    assert user_count() == users
    assert audit_count() == events


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"roles": []}, "Give at least one role."),
        ({"roles": ["superuser"]}, "&#39;superuser&#39; is not a valid choice for this field."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"email": ""}, "This field is required."),
        ({"password": "short"}, "Use at least 10 characters."),
        ({"password": ""}, "Set a password for the new user."),
        ({"username": ""}, "This field is required."),
        ({"username": "bad name<script>"}, "Use letters, digits, dot, dash or underscore."),
        ({"username": "u" * 65}, "Field cannot be longer than 64 characters."),
        ({"name": "n" * 121}, "Field cannot be longer than 120 characters."),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice."),
    ],
)
def test_invalid_new_user_is_refused(login_as, overrides, message):
    admin = login_as("admin")
    users, events = user_count(), audit_count()

    response = admin.post("/admin/users/new", data=new_user_form(**overrides))

    assert response.status_code == 422
    assert message.encode() in response.data
    assert user_count() == users
    assert audit_count() == events
    assert fetch("newbie") is None


def test_hostile_username_is_shown_escaped(login_as):
    admin = login_as("admin")
    response = admin.post("/admin/users/new", data=new_user_form(username="<script>alert(1)</script>"))
    assert response.status_code == 422
    assert b"<script>alert(1)</script>" not in response.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.data


def test_hostile_name_is_stored_and_rendered_escaped(login_as):
    admin = login_as("admin")
    response = admin.post("/admin/users/new", data=new_user_form(name="<script>alert(1)</script>"))
    assert response.status_code == 302
    listing = admin.get("/admin/users")
    assert b"<script>alert(1)</script>" not in listing.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in listing.data


def test_admin_edits_roles(login_as, make_user):
    admin = login_as("admin")
    user = make_user(("sales",), username="rolly")
    events = len(user_events(user.id))

    page = admin.get(f"/admin/users/{user.id}")
    assert page.status_code == 200
    assert f'name="version" type="hidden" value="{user.version}"'.encode() in page.data

    response = admin.post(f"/admin/users/{user.id}", data=edit_form(user, roles=["production", "marketing"]))

    assert response.status_code == 302
    user = fetch("rolly")
    assert user.roles == ["marketing", "production"]
    assert user.active
    new_events = user_events(user.id)[events:]
    assert [e.action for e in new_events] == ["updated"]
    assert new_events[0].actor_id == admin.user.id
    assert "roles" in new_events[0].changes
    assert "marketing" in new_events[0].changes


def test_admin_edits_name_email_and_password(app, login_as, make_user):
    admin = login_as("admin")
    user = make_user(("sales",), username="renamed")
    events = len(user_events(user.id))

    response = admin.post(
        f"/admin/users/{user.id}",
        data=edit_form(user, name="Re Named", email="re@example.com", password=NEW_PASSWORD),
    )

    assert response.status_code == 302
    user = fetch("renamed")
    assert (user.name, user.email) == ("Re Named", "re@example.com")
    assert authenticate("renamed", PASSWORD) is None
    assert authenticate("renamed", NEW_PASSWORD).id == user.id
    actions = [e.action for e in user_events(user.id)[events:]]
    assert actions == ["updated", "password reset", "sessions ended"]  # a reset ends the old sessions


def test_edit_cannot_change_username(login_as, make_user):
    admin = login_as("admin")
    user = make_user(("sales",), username="fixedname")
    response = admin.post(f"/admin/users/{user.id}", data=edit_form(user, username="othername"))
    assert response.status_code == 302
    assert fetch("fixedname") is not None
    assert fetch("othername") is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"roles": []}, "Give at least one role."),
        ({"email": "nope"}, "Invalid email address."),
        ({"password": "short"}, "Use at least 10 characters."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_invalid_edit_is_refused(login_as, make_user, overrides, message):
    admin = login_as("admin")
    user = make_user(("sales",), username="steady")
    before = (user.name, user.email, user.version)
    events = audit_count()

    response = admin.post(f"/admin/users/{user.id}", data=edit_form(user, **overrides))

    assert response.status_code == 422
    assert message.encode() in response.data
    after = fetch("steady")
    assert after.roles == ["sales"]
    assert (after.name, after.email, after.version) == before
    assert authenticate("steady", PASSWORD) is not None
    assert audit_count() == events


def test_edit_of_unknown_user_is_404(login_as):
    admin = login_as("admin")
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.post("/admin/users/999999/active").status_code == 404


def test_deactivated_user_cannot_sign_in_and_session_is_refused(app, login_as):
    admin = login_as("admin")
    victim = login_as("sales", username="leaver")
    assert victim.get("/home").status_code == 200
    events = len(user_events(victim.user.id))

    response = admin.post(f"/admin/users/{victim.user.id}/active")

    assert response.status_code == 302
    assert b"User leaver deactivated." in admin.get("/admin/users").data
    assert fetch("leaver").active is False
    new_events = user_events(victim.user.id)[events:]
    assert [e.action for e in new_events] == ["updated", "sessions ended"]  # deactivation ends its sessions
    assert "active" in new_events[0].changes

    # The session the user already had no longer counts as signed in.
    refused = victim.get("/home")
    assert refused.status_code == 302
    assert "/auth/login" in refused.headers["Location"]
    assert victim.get("/complaints/").status_code == 302

    # A fresh sign-in is refused with the generic message.
    fresh = app.test_client()
    response = sign_in(fresh, "leaver")
    assert response.status_code == 200
    assert b"Invalid username or password." in response.data
    assert fresh.get("/home").status_code == 302
    assert authenticate("leaver", PASSWORD) is None


def test_reactivated_user_can_sign_in_again(app, login_as, make_user):
    admin = login_as("admin")
    user = make_user(("sales",), username="returner")
    assert admin.post(f"/admin/users/{user.id}/active").status_code == 302
    assert fetch("returner").active is False
    assert admin.post(f"/admin/users/{user.id}/active").status_code == 302
    assert fetch("returner").active is True
    assert b"User returner activated." in admin.get("/admin/users").data
    assert sign_in(app.test_client(), "returner").status_code == 302
    assert [e.action for e in user_events(user.id)] == ["created", "updated", "sessions ended", "updated"]


def test_deactivating_via_edit_form(login_as, make_user):
    admin = login_as("admin")
    user = make_user(("sales",), username="unchecked")
    response = admin.post(f"/admin/users/{user.id}", data=edit_form(user, active=""))
    assert response.status_code == 302
    assert fetch("unchecked").active is False
    assert authenticate("unchecked", PASSWORD) is None


def test_admin_cannot_deactivate_themselves(login_as):
    admin = login_as("admin", username="boss")
    events = audit_count()

    response = admin.post(f"/admin/users/{admin.user.id}/active")

    assert response.status_code == 403
    assert b"You cannot deactivate your own account." in response.data
    assert fetch("boss").active is True
    assert audit_count() == events
    assert admin.get("/admin/users").status_code == 200


def test_admin_cannot_deactivate_themselves_via_edit(login_as):
    admin = login_as("admin", username="boss")
    me = fetch("boss")
    version = me.version
    events = audit_count()

    response = admin.post(f"/admin/users/{me.id}", data=edit_form(me, active=""))

    assert response.status_code == 422
    assert b"You cannot deactivate your own account." in response.data
    after = fetch("boss")
    assert after.active is True
    assert after.version == version
    assert audit_count() == events


def test_admin_cannot_remove_own_admin_role(login_as):
    admin = login_as("admin", username="boss")
    me = fetch("boss")
    events = audit_count()

    response = admin.post(f"/admin/users/{me.id}", data=edit_form(me, roles=["sales"]))

    assert response.status_code == 422
    assert b"You cannot remove your own admin role; ask another admin." in response.data
    assert fetch("boss").roles == ["admin"]
    assert audit_count() == events
    assert admin.get("/admin/users").status_code == 200


def test_admin_may_add_roles_to_themselves_and_remove_another_admins_role(login_as, make_user):
    admin = login_as("admin", username="boss")
    me = fetch("boss")
    response = admin.post(f"/admin/users/{me.id}", data=edit_form(me, roles=["admin", "sales"]))
    assert response.status_code == 302
    assert fetch("boss").roles == ["admin", "sales"]

    other = make_user(("admin",), username="other-admin")
    response = admin.post(f"/admin/users/{other.id}", data=edit_form(other, roles=["sales"]))
    assert response.status_code == 302
    assert fetch("other-admin").roles == ["sales"]


def test_stale_edit_is_refused(login_as, make_user):
    first = login_as("admin")
    second = login_as("admin")
    user = make_user(("sales",), username="contested")
    opened = fetch("contested")
    opened_version = opened.version
    opened_form = edit_form(opened, name="First Admin's Name", roles=["marketing"])

    saved = second.post(f"/admin/users/{user.id}", data=edit_form(opened, name="Second Admin's Name"))
    assert saved.status_code == 302
    current_version = fetch("contested").version
    assert current_version != opened_version
    events = audit_count()

    response = first.post(f"/admin/users/{user.id}", data=opened_form)

    assert response.status_code == 409
    assert b"changed by someone else" in response.data
    after = fetch("contested")
    assert after.name == "Second Admin's Name"
    assert after.roles == ["sales"]
    assert after.version == current_version
    assert audit_count() == events


def test_stale_edit_after_a_roles_only_change_is_refused(login_as, make_user):
    first = login_as("admin")
    second = login_as("admin")
    user = make_user(("sales",), username="contested")
    opened = fetch("contested")
    opened_name = opened.name
    opened_form = edit_form(opened, name="Late Name")

    saved = second.post(f"/admin/users/{user.id}", data=edit_form(opened, roles=["production"]))
    assert saved.status_code == 302
    assert fetch("contested").roles == ["production"]
    events = audit_count()

    # The first admin's form still says "sales": saving it would silently undo the role change.
    response = first.post(f"/admin/users/{user.id}", data=opened_form)

    assert response.status_code == 409
    after = fetch("contested")
    assert after.roles == ["production"]
    assert after.name == opened_name
    assert audit_count() == events


def test_edit_without_version_is_refused(login_as, make_user):
    admin = login_as("admin")
    user = make_user(("sales",), username="noversion")
    data = edit_form(user, name="Changed")
    del data["version"]
    response = admin.post(f"/admin/users/{user.id}", data=data)
    assert response.status_code == 409
    assert fetch("noversion").name == user.name


@pytest.mark.parametrize("role", ["sales", "production", "marketing"])
def test_non_admins_cannot_manage_users(login_as, make_user, role):
    client = login_as(role)
    target = make_user(("sales",), username="target")
    users, events = user_count(), audit_count()

    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.post("/admin/users/new", data=new_user_form()).status_code == 403
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    assert client.post(f"/admin/users/{target.id}", data=edit_form(target, roles=["admin"])).status_code == 403
    assert client.post(f"/admin/users/{target.id}/active").status_code == 403
    assert client.get("/admin/audit").status_code == 403

    assert user_count() == users
    assert audit_count() == events
    assert fetch("target").active is True
    assert fetch("target").roles == ["sales"]


def test_anonymous_is_sent_to_login(client, make_user):
    target = make_user(("sales",), username="target")
    for response in (
        client.get("/admin/users"),
        client.post("/admin/users/new", data=new_user_form()),
        client.post(f"/admin/users/{target.id}/active"),
    ):
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert fetch("target").active is True
    assert fetch("newbie") is None


def test_audit_page_shows_user_events(login_as):
    admin = login_as("admin")
    assert admin.post("/admin/users/new", data=new_user_form()).status_code == 302
    page = admin.get("/admin/audit?record_type=user&q=newbie")
    assert page.status_code == 200
    assert b"newbie" in page.data
    assert b"created" in page.data
