"""Recall list (search, status, classification, sort, CSV) and the read-only views of one recall."""

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import CLASSIFICATIONS, Incident, IncidentLot, Lot, Recall, RecallLot, RecallNotice
from ..trace.engine import id_in
from ..trace.services import lots_named_in
from ..web.filters import FilterParser, like_pattern
from ..workflow import RECALL

SORTS = {
    "created": Recall.created_at,
    "reference": Recall.reference,
    "status": Recall.status,
    "classification": Recall.classification,
}
DEFAULT_SORT = "-created"
SCOPE_ROWS = 200  # lots listed on the detail page


@dataclass
class RecallFilters:
    q: str = ""
    status: str = ""
    classification: str = ""
    sort: str = DEFAULT_SORT
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "RecallFilters":
        p = FilterParser(args)
        sort = (args.get("sort") or DEFAULT_SORT).strip()
        if sort.lstrip("-") not in SORTS:
            sort = DEFAULT_SORT
        filters = cls(
            q=p.text("q"),
            status=p.choice("status", RECALL.states),
            classification=p.choice("classification", CLASSIFICATIONS),
            sort=sort,
        )
        filters.errors = p.errors
        return filters

    def statement(self) -> sa.Select:
        # People are shown by name: their roles are not loaded with them.
        stmt = sa.select(Recall).options(so.joinedload(Recall.incident), so.joinedload(Recall.proposed_by))
        if self.q:
            pattern = like_pattern(self.q)
            stmt = stmt.where(
                sa.or_(Recall.reference.ilike(pattern, escape="\\"), Recall.title.ilike(pattern, escape="\\"))
            )
        if self.status:
            stmt = stmt.where(Recall.status == self.status)
        if self.classification:
            stmt = stmt.where(Recall.classification == self.classification)
        column = SORTS[self.sort.lstrip("-")]
        order = column.desc() if self.sort.startswith("-") else column.asc()
        return stmt.order_by(order, Recall.id.desc())


def lot_counts(recall_ids) -> dict[int, int]:
    """{recall id: lots in scope} in one query."""
    # id_in: the CSV passes every recall, more ids than an IN list may bind.
    rows = db.session.execute(
        sa.select(RecallLot.recall_id, sa.func.count())
        .where(id_in(RecallLot.recall_id, recall_ids))
        .group_by(RecallLot.recall_id)
    )
    return dict(rows.all())


CSV_HEADER = [
    "reference",
    "status",
    "title",
    "classification",
    "depth",
    "remedy",
    "public_warning",
    "effectiveness_level",
    "incident",
    "lots",
    "proposed_by",
    "proposed_at_utc",
    "approved_by",
    "approved_at_utc",
    "estimated_completion",
]


def csv_rows(stmt):
    recalls = db.session.scalars(stmt.options(so.joinedload(Recall.approved_by))).all()
    counts = lot_counts(r.id for r in recalls)
    for r in recalls:
        yield [
            r.reference,
            r.status,
            r.title,
            r.classification,
            r.depth,
            r.remedy,
            "yes" if r.public_warning else "no",
            r.effectiveness_level + (f" ({r.effectiveness_percent}%)" if r.effectiveness_percent else ""),
            r.incident.reference,
            counts.get(r.id, 0),
            r.proposed_by.name,
            r.created_at.isoformat(),
            r.approved_by.name if r.approved_by else "",
            r.approved_at.isoformat() if r.approved_at else "",
            r.estimated_completion.isoformat() if r.estimated_completion else "",
        ]


@dataclass
class Scope:
    total: int
    roots: int
    rows: list  # (Lot, is_root), roots first, at most SCOPE_ROWS


def scope(recall: Recall) -> Scope:
    """Counts of the recall's lots and the first rows to list."""
    total, roots = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(RecallLot.is_root.is_(True))).where(
            RecallLot.recall_id == recall.id
        )
    ).one()
    rows = db.session.execute(
        sa.select(Lot, RecallLot.is_root)
        .join(RecallLot, RecallLot.lot_id == Lot.id)
        .where(RecallLot.recall_id == recall.id)
        .options(so.joinedload(Lot.product))
        .order_by(RecallLot.is_root.desc(), Lot.code)
        .limit(SCOPE_ROWS)
    ).all()
    return Scope(total=total, roots=roots or 0, rows=rows)


def notice_summary(recall: Recall) -> tuple[int, object]:
    """(number of notices, total quantity shipped to the consignees)."""
    count, shipped = db.session.execute(
        sa.select(sa.func.count(RecallNotice.id), sa.func.sum(RecallNotice.quantity_shipped)).where(
            RecallNotice.recall_id == recall.id
        )
    ).one()
    return count, shipped or 0


def lots_by_code(codes: list[str]) -> tuple[list[int], list[str]]:
    """(ids of the lots with these codes, codes no lot has)."""
    found: dict[str, int] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        found.update(
            {code: id_ for code, id_ in db.session.execute(sa.select(Lot.code, Lot.id).where(Lot.code.in_(chunk)))}
        )
    return sorted(set(found.values())), [c for c in codes if c not in found]


def default_root_codes(incident: Incident, complaint_ids: list[int]) -> list[str]:
    """The incident's traced root lots, else the lots its complaints name."""
    codes = db.session.scalars(
        sa.select(Lot.code)
        .join(IncidentLot, IncidentLot.lot_id == Lot.id)
        .where(IncidentLot.incident_id == incident.id, IncidentLot.is_root.is_(True))
        .order_by(Lot.code)
    ).all()
    if codes:
        return list(codes)
    named, _unknown = lots_named_in(complaint_ids)
    return [r.code for r in named]
