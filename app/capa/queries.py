"""Action lists: search, filters, "my actions", CSV rows."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import ACTION_KINDS, Action, User
from ..web.filters import FilterParser, like_pattern
from ..workflow import ACTION

# Kept in step with Action.is_overdue: work still to do by the due date.
OVERDUE_STATES = ("planned", "in_progress", "ineffective")
SORTS = {"due": Action.due_date, "reference": Action.reference, "status": Action.status}
DEFAULT_SORT = "due"


def overdue_clause(today: date):
    return sa.and_(Action.due_date < today, Action.status.in_(OVERDUE_STATES))


def _loaded(stmt: sa.Select) -> sa.Select:
    # Lists show the owner's name: their roles are not loaded with them.
    return stmt.options(so.joinedload(Action.owner), so.joinedload(Action.incident))


def owner_filter_choices() -> list[sa.Row]:
    """(id, name) rows of every user, for the list's owner filter: one query, whatever their number."""
    return list(db.session.execute(sa.select(User.id, User.name).order_by(User.name)))


@dataclass
class ActionFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    owner_id: int | None = None
    overdue: bool = False
    sort: str = DEFAULT_SORT
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "ActionFilters":
        p = FilterParser(args)
        sort = (args.get("sort") or DEFAULT_SORT).strip()
        if sort.lstrip("-") not in SORTS:
            sort = DEFAULT_SORT
        filters = cls(
            q=p.text("q"),
            status=p.choice("status", ACTION.states),
            kind=p.choice("kind", ACTION_KINDS),
            owner_id=p.record_id("owner_id"),
            overdue=args.get("overdue") == "1",
            sort=sort,
        )
        filters.errors = p.errors
        return filters

    def statement(self, today: date) -> sa.Select:
        stmt = _loaded(sa.select(Action))
        if self.q:
            pattern = like_pattern(self.q)
            stmt = stmt.where(
                sa.or_(
                    Action.reference.ilike(pattern, escape="\\"),
                    Action.description.ilike(pattern, escape="\\"),
                )
            )
        if self.status:
            stmt = stmt.where(Action.status == self.status)
        if self.kind:
            stmt = stmt.where(Action.kind == self.kind)
        if self.owner_id:
            stmt = stmt.where(Action.owner_id == self.owner_id)
        if self.overdue:
            stmt = stmt.where(overdue_clause(today))
        column = SORTS[self.sort.lstrip("-")]
        order = column.desc() if self.sort.startswith("-") else column.asc()
        return stmt.order_by(order, Action.id.desc())


def mine_statement(user, open_only: bool = False) -> sa.Select:
    """The user's actions: open ones (not verified) first, earliest due first."""
    stmt = _loaded(sa.select(Action)).where(Action.owner_id == user.id)
    if open_only:
        stmt = stmt.where(Action.status != "verified")
    done_last = sa.case((Action.status == "verified", 1), else_=0)
    return stmt.order_by(done_last, Action.due_date, Action.id)


CSV_HEADER = [
    "reference",
    "incident",
    "kind",
    "status",
    "owner",
    "due_date",
    "overdue",
    "effectiveness_check",
    "effectiveness_due",
    "effectiveness_result",
    "justification",
    "description",
]


def csv_rows(session, stmt, today: date):
    for a in session.scalars(stmt.execution_options(yield_per=500)):
        yield [
            a.reference,
            a.incident.reference,
            a.kind,
            a.status,
            a.owner.name,
            a.due_date,
            "yes" if a.is_overdue(today) else "no",
            a.effectiveness_check,
            a.effectiveness_due,
            a.effectiveness_result,
            a.justification,
            a.description,
        ]
