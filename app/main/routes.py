"""Home: the signed-in user's work."""

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from . import bp, services


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.route("/home")
@login_required
def home():
    summary = services.admin_summary() if current_user.has_role("admin") else None
    return render_template("main/home.html", sections=services.work_for(current_user), summary=summary)
