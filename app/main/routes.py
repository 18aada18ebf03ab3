"""Home: the signed-in user's dashboard."""

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from . import bp, dashboard


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
def healthz():
    """Liveness for a reverse proxy or load balancer: no sign-in, no database, no template."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/home")
@login_required
def home():
    return render_template("main/home.html", sections=dashboard.sections_for(current_user))
