"""Global search: every kind grouped on one page, or one kind page by page."""

from math import ceil

from flask import abort, render_template, request
from flask_login import current_user, login_required

from ..web.filters import FilterParser
from . import bp, services
from .query import parse


class Page:
    """Just enough of Flask-SQLAlchemy's Pagination for the `pagination` macro."""

    def __init__(self, page: int, per_page: int, total: int):
        self.page, self.per_page, self.total = page, per_page, total
        self.pages = max(1, ceil(total / per_page))
        self.has_prev, self.has_next = page > 1, page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1

    def iter_pages(self, left_edge=1, right_edge=1, left_current=2, right_current=2):
        last = 0
        for num in range(1, self.pages + 1):
            near = self.page - left_current <= num <= self.page + right_current
            if num <= left_edge or num > self.pages - right_edge or near:
                if last + 1 != num:
                    yield None
                yield num
                last = num


@bp.route("/", endpoint="index")
@login_required
def index():
    query = parse(request.args.get("q"))
    allowed = services.allowed_kinds(current_user)
    kind = (request.args.get("kind") or "").strip()
    if kind and kind not in allowed:
        abort(404, description="There is no such kind of record to search.")
    if not query.searchable:
        status = 400 if request.args.get("q") is not None and request.args.get("q").strip() else 200
        return render_template("search/results.html", query=query, kind=kind, results=[], page=None), status
    if kind:
        number = FilterParser(request.args).page()
        per_page = services.PER_PAGE
        results = services.search(query, current_user, [kind], per_page, (number - 1) * per_page)
        page = Page(number, per_page, results[0].total)
    else:
        results = services.search(query, current_user, allowed, services.PREVIEW)
        page = None
    return render_template("search/results.html", query=query, kind=kind, results=results, page=page)
