"""Read side of the notices pages: the consignee table (filters, one query per page), its CSV
and the non-responders list. The notification state comes from responses.notification_state().
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_sqlalchemy.pagination import SelectPagination

from ..extensions import db
from ..models import Customer, OutboxMessage, Recall, RecallNotice
from ..models.quantity import format_quantity
from ..web.filters import FilterParser, like_pattern
from .notices import _with_email as has_email
from .responses import notification_state, notified_at, over_reported_clause

STATES = {
    "pending": "Not yet notified",
    "queued": "Email queued",
    "sent": "Email sent",
    "failed": "Email failed",
    "notified": "Notified by hand",
}
STATE_STYLES = {"pending": "secondary", "queued": "info", "sent": "success", "failed": "danger", "notified": "primary"}
RESPONDED = {"yes": "Answered", "no": "Not answered"}
NON_RESPONDERS_SHOWN = 100
FILTER_KEYS = ("state", "responded", "no_email", "q", "page")


@dataclass
class NoticeFilters:
    state: str = ""
    responded: str = ""
    no_email: bool = False
    q: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "NoticeFilters":
        p = FilterParser(args)
        filters = cls(
            state=p.choice("state", STATES),
            responded=p.choice("responded", RESPONDED),
            no_email=p.choice("no_email", ("1",)) == "1",
            q=p.text("q"),
        )
        filters.errors = p.errors
        return filters

    @property
    def active(self) -> bool:
        return bool(self.state or self.responded or self.no_email or self.q)

    def _filtered(self, stmt: sa.Select) -> sa.Select:
        """The filters and order, on a select of one recall's notices."""
        stmt = stmt.join(Customer, Customer.id == RecallNotice.consignee_id).outerjoin(
            OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id
        )
        if self.state:
            stmt = stmt.where(notification_state() == self.state)
        if self.responded == "yes":
            stmt = stmt.where(RecallNotice.responded_at.is_not(None))
        elif self.responded == "no":
            stmt = stmt.where(RecallNotice.responded_at.is_(None))
        if self.no_email:
            stmt = stmt.where(sa.not_(has_email()))
        if self.q:
            stmt = stmt.where(Customer.name.ilike(like_pattern(self.q), escape="\\"))
        return stmt.order_by(Customer.name, RecallNotice.id)

    def statement(self, recall: Recall) -> sa.Select:
        """Rows of (notice with its consignee, state, notified at): one query, no lazy loads."""
        stmt = recall.notices.select().add_columns(
            notification_state().label("state"), notified_at().label("notified_at")
        )
        return self._filtered(stmt).options(so.contains_eager(RecallNotice.consignee))

    def csv_statement(self, recall: Recall) -> sa.Select:
        stmt = sa.select(
            Customer.name,
            Customer.email,
            Customer.phone,
            RecallNotice.quantity_shipped,
            notification_state(),
            RecallNotice.method,
            notified_at(),
            RecallNotice.responded_at,
            RecallNotice.quantity_on_hand,
            RecallNotice.quantity_returned,
            RecallNotice.quantity_destroyed,
            RecallNotice.distributed_further,
            RecallNotice.response_by,
            RecallNotice.reminders,
            RecallNotice.received_elsewhere,
            over_reported_clause(),
            RecallNotice.answer_shared_out,
        ).where(RecallNotice.recall_id == recall.id)
        return self._filtered(stmt)


class RowPagination(SelectPagination):
    """db.paginate for a select of several columns: items are rows, not scalars."""

    def _query_items(self) -> list:
        stmt = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(stmt).all())


def page_of(filters: NoticeFilters, recall: Recall, page: int, per_page: int) -> RowPagination:
    return RowPagination(
        select=filters.statement(recall),
        session=db.session,
        page=page,
        per_page=per_page,
        max_per_page=100,
        error_out=False,
    )


CSV_HEADER = [
    "consignee",
    "email",
    "phone",
    "quantity_shipped",
    "state",
    "method",
    "notified_at_utc",
    "responded_at_utc",
    "on_hand",
    "returned",
    "destroyed",
    "distributed_further",
    "answered_by",
    "reminders",
    "received_elsewhere",
    "above_shipped_unexplained",
    "answered_for_all_lots_together",
]


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _plain(value) -> str:
    """A quantity as a spreadsheet reads it: 113, 1.5 (no trailing zeros, no grouping)."""
    return format_quantity(value, group="")


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def csv_rows(filters: NoticeFilters, recall: Recall):
    """Every matching consignee, read in batches so 10,000 rows stream without piling up."""
    result = db.session.execute(filters.csv_statement(recall).execution_options(yield_per=1000))
    for (
        name,
        email,
        phone,
        shipped,
        state,
        method,
        when,
        responded,
        on_hand,
        returned,
        destroyed,
        further,
        by,
        n,
        elsewhere,
        over,
        shared,
    ) in result:
        yield [
            name,
            email or "",
            phone or "",
            _plain(shipped),
            state,
            method or "",
            _iso(when),
            _iso(responded),
            _plain(on_hand),
            _plain(returned),
            _plain(destroyed),
            _yes_no(further),
            by or "",
            n,
            _yes_no(elsewhere) if responded else "",
            _yes_no(over) if responded else "",
            _yes_no(shared) if responded else "",
        ]


def non_responders(recall: Recall, limit: int = NON_RESPONDERS_SHOWN) -> list:
    """The first consignees (by name) who have not answered: (notice, state, notified at) rows."""
    return db.session.execute(NoticeFilters(responded="no").statement(recall).limit(limit)).all()
