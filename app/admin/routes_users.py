"""Admin: users and roles, and the audit trail."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..auth import services as accounts
from ..extensions import db
from ..models import AuditEvent, User
from ..permissions import Permission, permission_required
from ..web.filters import FilterParser, like_pattern
from ..web.forms import ConfirmForm
from ..web.pagination import paginate
from ..web.submit import submit
from . import bp
from .forms import UserForm


@bp.route("/users")
@permission_required(Permission.USERS_MANAGE)
def users():
    # Roles come in the same query (the default selectin load adds one query per 500 users).
    stmt = sa.select(User).options(so.joinedload(User.role_rows)).order_by(User.active.desc(), User.username)
    users = db.session.scalars(stmt).unique().all()
    return render_template("admin/users.html", users=users, toggle_form=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def user_create():
    form = UserForm()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors = ["Set a password for the new user."]
        else:
            answer = submit(
                form,
                lambda: accounts.create_user(
                    username=form.username.data,
                    name=form.name.data,
                    email=form.email.data,
                    password=form.password.data,
                    roles=form.roles.data,
                    timezone=form.timezone.data or None,
                    actor=current_user,
                ),
                success_url=url_for("admin.users"),
                done=lambda user: f"User {user.username} created.",
            )
            if not isinstance(answer, int):
                return answer
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.username.render_kw = {"readonly": True}
    if request.method == "GET":
        form.roles.data = user.roles
        form.timezone.data = user.timezone or ""
        form.version.data = user.version
    else:
        form.username.data = user.username
    if request.method == "POST" and form.validate_on_submit():

        def save():
            if form.opened_version() != user.version:
                raise StaleDataError()
            accounts.update_user(
                user,
                actor=current_user,
                roles=form.roles.data,
                name=form.name.data,
                email=form.email.data,
                active=form.active.data,
                timezone=form.timezone.data or None,
            )
            if form.password.data:
                accounts.set_password_by_admin(user, form.password.data, current_user)

        def stale():
            flash(
                "This user was changed by someone else since you opened the page; "
                "reload it and make your change again.",
                "warning",
            )
            return render_template("admin/user_form.html", form=form, user=user), 409

        answer = submit(
            form,
            save,
            success_url=url_for("admin.users"),
            done=lambda _: f"User {user.username} saved.",
            on_stale=stale,
            error_page=(),  # "not your own admin role / account" is said on the form (422)
        )
        if not isinstance(answer, int):
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@permission_required(Permission.USERS_MANAGE)
def user_toggle_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        accounts.update_user(user, actor=current_user, active=not user.active)
        db.session.commit()
        flash(f"User {user.username} {'activated' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@permission_required(Permission.USERS_MANAGE)
def user_end_sessions(user_id: int):
    """Sign the user out everywhere: every session and remember-me cookie they hold ends."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        accounts.end_sessions(user, current_user, "signed out everywhere by an admin")
        db.session.commit()
        flash(f"{user.username} is signed out everywhere.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/audit")
@permission_required(Permission.AUDIT_VIEW)
def audit():
    parser = FilterParser(request.args)
    q = parser.text("q")
    record_type = parser.text("record_type", 30)
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            sa.or_(
                AuditEvent.record_label.ilike(pattern, escape="\\"),
                AuditEvent.actor_name.ilike(pattern, escape="\\"),
                AuditEvent.action.ilike(pattern, escape="\\"),
            )
        )
    if record_type:
        stmt = stmt.where(AuditEvent.record_type == record_type)
    page = paginate(stmt, page=parser.page(), per_page=current_app.config["PER_PAGE"] * 2)
    return render_template("admin/audit.html", page=page, q=q, record_type=record_type)
