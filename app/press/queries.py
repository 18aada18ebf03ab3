"""Press lists (filters, search, sort, CSV), the choices of the press forms, and deadline notes."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import INQUIRY_CHANNELS, STATEMENT_KINDS, Incident, PressInquiry, Recall, Statement, User, UserRole
from ..permissions import Permission, roles_with
from ..web.filters import MAX_ID, FilterParser, like_pattern
from ..workflow import INQUIRY, STATEMENT
from . import one_voice
from .services import versions

# Inquiries still waiting for our answer: their deadline matters.
OPEN_INQUIRY_STATES = ("received", "drafting")
CHOICES_LIMIT = 500  # incidents / recalls offered in a form's list (newest first)


def _order(sorts: dict, sort: str, default: str, tiebreak) -> tuple[str, list]:
    sort = sort if sort.lstrip("-") in sorts else default
    column = sorts[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column.asc()
    # Inquiries without a deadline go last whichever way the deadline is sorted.
    return sort, [order.nulls_last(), tiebreak.desc()]


INQUIRY_SORTS = {
    "deadline": PressInquiry.deadline,
    "received": PressInquiry.created_at,
    "reference": PressInquiry.reference,
    "status": PressInquiry.status,
}


@dataclass
class InquiryFilters:
    q: str = ""
    status: str = ""
    channel: str = ""
    assignee_id: int | None = None
    overdue: bool = False
    sort: str = "deadline"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "InquiryFilters":
        p = FilterParser(args)
        filters = cls(
            q=p.text("q"),
            status=p.choice("status", INQUIRY.states),
            channel=p.choice("channel", INQUIRY_CHANNELS),
            assignee_id=p.record_id("assignee_id"),
            overdue=args.get("overdue") == "1",
            sort=(args.get("sort") or "deadline").strip(),
        )
        filters.errors = p.errors
        return filters

    def statement(self, now: datetime) -> sa.Select:
        stmt = sa.select(PressInquiry).options(
            so.joinedload(PressInquiry.assignee),
            so.joinedload(PressInquiry.incident),
            so.joinedload(PressInquiry.recall),
        )
        if self.q:
            pattern = like_pattern(self.q)
            stmt = stmt.where(
                sa.or_(
                    *(
                        column.ilike(pattern, escape="\\")
                        for column in (
                            PressInquiry.reference,
                            PressInquiry.outlet,
                            PressInquiry.journalist,
                            PressInquiry.question,
                        )
                    )
                )
            )
        if self.status:
            stmt = stmt.where(PressInquiry.status == self.status)
        if self.channel:
            stmt = stmt.where(PressInquiry.channel == self.channel)
        if self.assignee_id:
            stmt = stmt.where(PressInquiry.assignee_id == self.assignee_id)
        if self.overdue:
            stmt = stmt.where(PressInquiry.status.in_(OPEN_INQUIRY_STATES), PressInquiry.deadline < now)
        self.sort, order = _order(INQUIRY_SORTS, self.sort, "deadline", PressInquiry.id)
        return stmt.order_by(*order)


STATEMENT_SORTS = {
    "updated": Statement.updated_at,
    "created": Statement.created_at,
    "reference": Statement.reference,
    "status": Statement.status,
    "kind": Statement.kind,
}


@dataclass
class StatementFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    sort: str = "-updated"
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "StatementFilters":
        p = FilterParser(args)
        filters = cls(
            q=p.text("q"),
            status=p.choice("status", STATEMENT.states),
            kind=p.choice("kind", STATEMENT_KINDS),
            sort=(args.get("sort") or "-updated").strip(),
        )
        filters.errors = p.errors
        return filters

    def statement(self) -> sa.Select:
        stmt = sa.select(Statement).options(
            so.joinedload(Statement.author),
            so.joinedload(Statement.approved_by),
            so.joinedload(Statement.incident),
            so.joinedload(Statement.recall),
        )
        if self.q:
            pattern = like_pattern(self.q)
            stmt = stmt.where(
                sa.or_(
                    Statement.reference.ilike(pattern, escape="\\"),
                    Statement.title.ilike(pattern, escape="\\"),
                    Statement.body.ilike(pattern, escape="\\"),
                )
            )
        if self.status:
            stmt = stmt.where(Statement.status == self.status)
        if self.kind:
            stmt = stmt.where(Statement.kind == self.kind)
        self.sort, order = _order(STATEMENT_SORTS, self.sort, "-updated", Statement.id)
        return stmt.order_by(*order)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


INQUIRY_CSV_HEADER = [
    "reference",
    "status",
    "outlet",
    "journalist",
    "contact",
    "channel",
    "question",
    "deadline_utc",
    "incident",
    "recall",
    "assignee",
    "answer",
    "answered_at_utc",
    "received_at_utc",
]


def inquiry_csv_rows(stmt: sa.Select):
    for q in db.session.scalars(stmt):
        yield [
            q.reference,
            q.status,
            q.outlet,
            q.journalist,
            q.contact or "",
            q.channel,
            q.question,
            _iso(q.deadline),
            q.incident.reference if q.incident else "",
            q.recall.reference if q.recall else "",
            q.assignee.name if q.assignee else "",
            q.answer or "",
            _iso(q.answered_at),
            _iso(q.created_at),
        ]


STATEMENT_CSV_HEADER = [
    "reference",
    "kind",
    "status",
    "version",
    "title",
    "body",
    "incident",
    "recall",
    "author",
    "approved_version",
    "approved_by",
    "approved_at_utc",
    "published_at_utc",
    "published_where",
    "withdrawn_reason",
    "updated_at_utc",
]


def statement_csv_rows(stmt: sa.Select):
    for s in db.session.scalars(stmt):
        yield [
            s.reference,
            s.kind,
            s.status,
            s.current_version,
            s.title,
            s.body,
            s.incident.reference if s.incident else "",
            s.recall.reference if s.recall else "",
            s.author.name,
            s.approved_version or "",
            s.approved_by.name if s.approved_by else "",
            _iso(s.approved_at),
            _iso(s.published_at),
            s.published_where or "",
            s.withdrawn_reason or "",
            _iso(s.updated_at),
        ]


def press_users() -> list[User]:
    """Active marketing users and admins: who may be assigned an inquiry."""
    press_role = sa.select(UserRole.user_id).where(UserRole.role.in_(roles_with(Permission.PRESS_MANAGE)))
    return list(
        db.session.scalars(sa.select(User).where(User.active.is_(True), User.id.in_(press_role)).order_by(User.name))
    )


def _record_choices(model, keep: int | None) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(model.id, model.reference, model.title).order_by(model.created_at.desc()).limit(CHOICES_LIMIT)
    ).all()
    # A forged id past INTEGER would overflow the database driver: no such record anyway.
    if keep and 0 < keep <= MAX_ID and keep not in {r.id for r in rows}:
        rows += db.session.execute(sa.select(model.id, model.reference, model.title).where(model.id == keep)).all()
    return [(r.id, f"{r.reference} — {r.title}"[:120]) for r in rows]


def incident_choices(keep: int | None = None) -> list[tuple[int, str]]:
    """The newest incidents (and `keep`, the one already linked) as (id, label)."""
    return _record_choices(Incident, keep)


def recall_choices(keep: int | None = None) -> list[tuple[int, str]]:
    return _record_choices(Recall, keep)


@dataclass(frozen=True)
class DueNote:
    text: str
    style: str  # Bootstrap colour


def due_note(inquiry: PressInquiry, now: datetime) -> DueNote | None:
    """ "overdue by 3 h 05 min" / "due in 2 d 4 h" for an inquiry still waiting for our answer."""
    if inquiry.deadline is None or inquiry.status not in OPEN_INQUIRY_STATES:
        return None
    seconds = (inquiry.deadline - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    hours = minutes // 60
    if hours >= 48:
        span = f"{hours // 24} d {hours % 24} h"
    elif hours:
        span = f"{hours} h {minutes % 60:02d} min"
    else:
        span = f"{minutes} min"
    if seconds < 0:
        return DueNote(f"overdue by {span}", "danger")
    return DueNote(f"due in {span}", "warning" if seconds <= 24 * 3600 else "secondary")


def due_notes(inquiries, now: datetime) -> dict[int, DueNote]:
    return {q.id: note for q in inquiries if (note := due_note(q, now))}


def approved_words_for(record) -> list:
    """The approved words about an inquiry's or statement's incident and recall (each once)."""
    words = []
    if record.recall is not None:
        words += one_voice.for_recall(record.recall)
    if record.incident_id:
        words += one_voice.for_incident(record.incident_id)
    seen: set[int] = set()
    return [w for w in words if not (w.statement_id in seen or seen.add(w.statement_id))]


def versions_with_authors(statement: Statement) -> list:
    """The statement's versions, newest first, with their authors loaded in one more query."""
    found = versions(statement)
    ids = {v.author_id for v in found}
    if ids:
        db.session.scalars(sa.select(User).where(User.id.in_(ids))).all()  # fills the identity map
    return found
