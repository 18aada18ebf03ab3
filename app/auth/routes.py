"""Sign in, sign out, own account."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..web.forms import ConfirmForm
from ..web.submit import submit
from . import bp, services
from .forms import AccountForm, LoginForm


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            flash("Invalid username or password.", "danger")
            return render_template("auth/login.html", form=form), 200
        target = request.args.get("next")
        # A new session at sign-in: whatever the cookie carried before (a planted session,
        # an old CSRF token) does not survive into the signed-in one (session fixation).
        session.clear()
        login_user(user, remember=form.remember.data)
        return redirect(target if services.is_safe_next(target) else url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        # Every session of this user ends, here and in any browser a cookie was copied to.
        services.end_sessions(current_user, current_user, "signed out")
        db.session.commit()
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=None if request.method == "POST" else current_user)
    if request.method == "GET":
        form.timezone.data = current_user.timezone or ""
    if form.validate_on_submit():

        def save():
            if form.new_password.data:
                services.change_password(current_user, form.current_password.data or "", form.new_password.data)
            services.update_user(current_user, actor=current_user, timezone=form.timezone.data or None)

        def stay_signed_in(_):
            # A new password ended every session of this user; this browser stays signed in.
            login_user(current_user._get_current_object())
            flash("Your account is saved.", "success")
            return redirect(url_for("auth.account"))

        answer = submit(form, save, on_success=stay_signed_in)
        if not isinstance(answer, int):
            return answer
        return render_template("auth/account.html", form=form), 422
    return render_template("auth/account.html", form=form), (422 if form.errors else 200)
