"""The Trends page and the CSV of each chart's data: thin views over panels.py and queries.py."""

from flask import abort, current_app, render_template, request
from flask_login import current_user

from ..charts.rates import FLAG_RULE, TOP_LOTS
from ..permissions import Permission, permission_required
from ..web.csv_export import csv_response
from . import bp, cache, panels, queries


def _kinds() -> list[str]:
    """The charts this user may see: recall effectiveness needs RECALL_VIEW."""
    return [k for k in panels.KINDS if k != "effectiveness" or current_user.can(Permission.RECALL_VIEW)]


@bp.route("/", endpoint="index")
@permission_required(Permission.COMPLAINT_VIEW)
def index():
    names = queries.products()
    filters = panels.TrendFilters.from_args(request.args, names)
    period = queries.Period.ending(queries.today_utc(), filters.months)
    built, computed_at = cache.build(_kinds(), period, names, filters)
    return render_template(
        "trends/index.html",
        computed_at=computed_at,
        cache_seconds=current_app.config["TRENDS_CACHE_SECONDS"],
        filters=filters,
        period=period,
        products=names,
        panels=built,
        flag_rule=FLAG_RULE,
        top_lots=TOP_LOTS,
        max_months=panels.MAX_MONTHS,
        recalls_shown=queries.RECALLS_SHOWN,
    )


@bp.route("/data.csv", endpoint="csv")
@permission_required(Permission.COMPLAINT_VIEW)
def csv():
    kind = (request.args.get("kind") or "").strip()
    if kind not in panels.KINDS:
        abort(400, description=f"Unknown chart '{kind[:20]}': choose weekly, pareto, rates or effectiveness.")
    if kind not in _kinds():
        abort(403)
    names = queries.products()
    filters = panels.TrendFilters.from_args(request.args, names)
    if filters.errors:
        abort(400, description=" ".join(filters.errors))
    period = queries.Period.ending(queries.today_utc(), filters.months)
    (panel,) = panels.build([kind], period, names, filters, draw=False)
    return csv_response(f"trends-{kind}-{period.start}-to-{period.end}.csv", panel.header, panel.rows)
