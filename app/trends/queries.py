"""The data of the trend charts: aggregate SQL only (GROUP BY in the database; complaint rows
are never loaded into Python), one statement per chart (weekly and Pareto share one; the rates
are preceded by a SET on PostgreSQL), turned into the plain data classes of app/charts. Days and
weeks are UTC days and ISO weeks of UTC days."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from ..charts.effectiveness import ResponseCurve
from ..charts.pareto import ParetoData
from ..charts.rates import FLAG_FACTOR, FLAG_MIN_COMPLAINTS, TOP_LOTS, LotRate, RateData, per_units
from ..charts.weekly import WeeklyData, monday
from ..extensions import db
from ..models import CATEGORIES, Complaint, ComplaintLot, Lot, Product, Recall, RecallLot, RecallNotice, Shipment
from ..workflow import RECALL

RECALLS_SHOWN = 5
MILLI = Decimal("0.001")


@dataclass(frozen=True)
class Period:
    """Whole ISO weeks: from the Monday of the week `months` months before `end`, to `end` (UTC)."""

    start: date
    end: date
    months: int

    @classmethod
    def ending(cls, end: date, months: int) -> "Period":
        year, month = divmod(end.year * 12 + end.month - 1 - months, 12)
        month += 1
        day = min(end.day, _days_in(year, month))
        return cls(monday(date(year, month, day)), end, months)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight UTC after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)


def _days_in(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def today_utc() -> date:
    return datetime.now(UTC).date()


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def utc_day(column):
    """The UTC calendar day of a timestamp column (stored as naive UTC on both engines)."""
    if _dialect() == "postgresql":
        return sa.cast(sa.func.date_trunc("day", column), sa.Date)
    return sa.func.date(column)


def utc_week(column):
    """The Monday of the ISO week of a timestamp column's UTC day."""
    if _dialect() == "postgresql":
        return sa.cast(sa.func.date_trunc("week", column), sa.Date)
    # SQLite: forward to Sunday (or stay on it), then back six days.
    return sa.func.date(column, "weekday 0", "-6 days")


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _quantity(value) -> Decimal:
    """A summed quantity as Decimal with the column's 3 places (SQLite sums give floats)."""
    return Decimal(str(value or 0)).quantize(MILLI)


def _in_period(period: Period):
    return sa.and_(Complaint.received_at >= period.start_at, Complaint.received_at < period.end_at)


def products() -> dict[int, str]:
    """Every product as `SKU — name`, by SKU (the filter's choices and the series' names)."""
    rows = db.session.execute(sa.select(Product.id, Product.sku, Product.name).order_by(Product.sku))
    return {r.id: f"{r.sku} — {r.name}" for r in rows}


def _complaint_counts(period: Period, product_id: int | None):
    """Complaints per product, ISO week and category: one scan of the period serves both the
    weekly chart and the Pareto (≤ 53 weeks × products × 8 categories rows)."""
    week = utc_week(Complaint.received_at)
    stmt = (
        sa.select(Complaint.product_id, week.label("week"), Complaint.category, sa.func.count())
        .where(_in_period(period))
        .group_by(Complaint.product_id, week, Complaint.category)
    )
    if product_id:
        stmt = stmt.where(Complaint.product_id == product_id)
    return [(pid, _as_date(w), category, n) for pid, w, category, n in db.session.execute(stmt)]


def weekly_and_pareto(
    period: Period, names: dict[int, str], product_id: int | None = None
) -> tuple[WeeklyData, ParetoData]:
    """Complaints per ISO week by product, and per category, from one aggregate statement."""
    rows = _complaint_counts(period, product_id)
    weekly = WeeklyData.from_counts(((pid, week, n) for pid, week, _c, n in rows), names, period.start, period.end)
    per_category: dict[str, int] = {}
    for _pid, _week, category, n in rows:
        per_category[category] = per_category.get(category, 0) + n
    return weekly, ParetoData.from_counts(per_category.items(), CATEGORIES)


def weekly(period: Period, names: dict[int, str], product_id: int | None = None) -> WeeklyData:
    """Complaints per ISO week and product."""
    return weekly_and_pareto(period, names, product_id)[0]


def pareto(period: Period, product_id: int | None = None) -> ParetoData:
    """Complaints per category in the period."""
    return weekly_and_pareto(period, {}, product_id)[1]


def weekly_for_incident(incident_id: int, months: int = 12, today: date | None = None) -> WeeklyData:
    """All complaints per week about the products of the incident's complaints, over the last
    `months` months (for the incident report): two statements."""
    from ..models import IncidentComplaint

    linked = (
        sa.select(Complaint.product_id)
        .join(IncidentComplaint, IncidentComplaint.complaint_id == Complaint.id)
        .where(IncidentComplaint.incident_id == incident_id)
    )
    names = {
        r.id: f"{r.sku} — {r.name}"
        for r in db.session.execute(sa.select(Product.id, Product.sku, Product.name).where(Product.id.in_(linked)))
    }
    period = Period.ending(today or today_utc(), months)
    week = utc_week(Complaint.received_at)
    stmt = (
        sa.select(Complaint.product_id, week.label("week"), sa.func.count())
        .where(_in_period(period), Complaint.product_id.in_(linked))
        .group_by(Complaint.product_id, week)
    )
    rows = [(pid, _as_date(w), n) for pid, w, n in db.session.execute(stmt)]
    return WeeklyData.from_counts(rows, names, period.start, period.end)


def _named_lots(period: Period, product_id: int | None) -> sa.CTE:
    """Each known lot named in the period: code, product, complaints, units ever shipped.

    Materialized: the correlated sum runs once per lot (~51,000 lots over a year of plant-1M),
    each an index-only look-up on ix_shipments_lot_quantity, not a visit to the shipments."""
    named = (
        sa.select(ComplaintLot.lot_code.label("code"), sa.func.count().label("n"))
        .join(Complaint, Complaint.id == ComplaintLot.complaint_id)
        .where(_in_period(period))
        .group_by(ComplaintLot.lot_code)
        .cte("named")
    )
    shipped = (
        sa.select(sa.func.coalesce(sa.func.sum(Shipment.quantity), 0))
        .where(Shipment.lot_id == Lot.id)
        .correlate(Lot)
        .scalar_subquery()
    )
    lots = sa.select(Lot.code, Lot.product_id, named.c.n, shipped.label("units")).join(named, named.c.code == Lot.code)
    if product_id:
        lots = lots.where(Lot.product_id == product_id)
    return lots.cte("named_lots").prefix_with("MATERIALIZED")


def _rate_statement(period: Period, product_id: int | None, limit: int | None):
    """The `limit` named lots with shipments of highest rate, each with its product's totals,
    and the totals of lots and flagged lots.

    The named lots are scanned by the product GROUP BY, the top-`limit` sort and the flagged
    count; the flag is computed only for the rows returned and, for the count, for lots with
    at least FLAG_MIN_COMPLAINTS complaints (a few hundred of ~51,000), not joined to every row."""
    lots = _named_lots(period, product_id)
    shipped = lots.c.units > 0
    per_product = (
        sa.select(
            lots.c.product_id,
            sa.func.sum(lots.c.n).label("pn"),
            sa.func.sum(lots.c.units).label("pu"),
            sa.func.count().label("lots"),
        )
        .where(shipped)
        .group_by(lots.c.product_id)
        .cte("per_product")
        .prefix_with("MATERIALIZED")
    )

    def flag(row, p):
        return sa.and_(row.n >= FLAG_MIN_COMPLAINTS, row.n * p.pu >= FLAG_FACTOR * p.pn * row.units)

    def by_rate(row):
        return ((row.n * 1.0 / row.units).desc(), row.code)

    ranked = sa.select(lots).where(shipped)
    if limit:
        ranked = ranked.order_by(*by_rate(lots.c)).limit(limit)
    t, p = ranked.subquery("ranked").c, per_product.c
    others = per_product.alias("others")
    flagged_total = (
        sa.select(sa.func.count())
        .select_from(lots)
        .join(others, others.c.product_id == lots.c.product_id)
        .where(shipped, flag(lots.c, others.c))
    )
    return (
        sa.select(
            t.code,
            Product.sku,
            Product.name,
            t.n,
            t.units,
            p.pn,
            p.pu,
            sa.case((flag(t, p), 1), else_=0).label("flagged"),
            sa.select(sa.func.coalesce(sa.func.sum(p.lots), 0)).scalar_subquery().label("total"),
            flagged_total.scalar_subquery().label("flagged_total"),
        )
        .join(per_product, p.product_id == t.product_id)
        .join(Product, Product.id == t.product_id)
        .order_by(*by_rate(t))
    )


def _without_jit() -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction (the request's).

    The rate statement's cost estimate (one index look-up per named lot) is far above
    jit_above_cost, and compiling it took ~1 s of the 2.3 s it ran on plant-1M, more than
    the compiled code saves on ~51,000 rows."""
    if _dialect() == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))


def rates(period: Period, product_id: int | None = None, limit: int | None = TOP_LOTS) -> RateData:
    """Complaints per 10,000 units shipped per named lot (the highest `limit`, or all)."""
    _without_jit()
    rows = db.session.execute(_rate_statement(period, product_id, limit)).all()
    lots = []
    for r in rows:
        units, product_units = _quantity(r.units), _quantity(r.pu)
        lots.append(
            LotRate(
                code=r.code,
                product=f"{r.sku} — {r.name}",
                complaints=r.n,
                units=units,
                rate=per_units(r.n, units),
                product_complaints=int(r.pn),
                product_units=product_units,
                product_rate=per_units(int(r.pn), product_units),
                flagged=bool(r.flagged),
            )
        )
    total = rows[0].total if rows else 0
    flagged = int(rows[0].flagged_total or 0) if rows else 0
    return RateData(tuple(lots), total, flagged)


@dataclass(frozen=True)
class RecallInfo:
    id: int
    reference: str
    title: str
    approved_at: datetime
    terminated_at: datetime | None


def recent_recalls(period: Period, product_id: int | None = None, limit: int = RECALLS_SHOWN) -> list[RecallInfo]:
    """The most recently approved recalls still running or terminated within the period;
    with a product, only recalls whose scope holds a lot of it."""
    stmt = (
        sa.select(Recall.id, Recall.reference, Recall.title, Recall.approved_at, Recall.terminated_at)
        .where(
            Recall.approved_at.is_not(None),
            Recall.status.not_in(RECALL.sets["not_made"]),
            sa.or_(Recall.terminated_at.is_(None), Recall.terminated_at >= period.start_at),
        )
        .order_by(Recall.approved_at.desc(), Recall.id.desc())
        .limit(limit)
    )
    if product_id:
        in_scope = (
            sa.select(RecallLot.lot_id)
            .join(Lot, Lot.id == RecallLot.lot_id)
            .where(RecallLot.recall_id == Recall.id, Lot.product_id == product_id)
        )
        stmt = stmt.where(in_scope.exists())
    return [RecallInfo(*row) for row in db.session.execute(stmt)]


def response_curves(recalls: list[RecallInfo], today: date | None = None) -> list[ResponseCurve]:
    """Each recall's answers per UTC day since approval, in one aggregate query for all of
    them (the unanswered notices are the group whose day is NULL)."""
    if not recalls:
        return []
    today = today or today_utc()
    day = utc_day(RecallNotice.responded_at)
    stmt = (
        sa.select(RecallNotice.recall_id, day.label("day"), sa.func.count())
        .where(RecallNotice.recall_id.in_([r.id for r in recalls]))
        .group_by(RecallNotice.recall_id, day)
    )
    consignees: dict[int, int] = {}
    answers: dict[int, dict[int, int]] = {}
    approved = {r.id: r.approved_at.date() for r in recalls}
    for recall_id, answered_on, count in db.session.execute(stmt):
        consignees[recall_id] = consignees.get(recall_id, 0) + count
        if answered_on is not None:
            since = max(0, (_as_date(answered_on) - approved[recall_id]).days)
            per_day = answers.setdefault(recall_id, {})
            per_day[since] = per_day.get(since, 0) + count
    curves = []
    for r in recalls:
        until = min(today, r.terminated_at.date()) if r.terminated_at else today
        per_day = answers.get(r.id, {})
        last = max([(until - approved[r.id]).days, *per_day])
        answered = tuple(sorted(per_day.items()))
        curves.append(ResponseCurve(r.reference, r.title, approved[r.id], last, consignees.get(r.id, 0), answered))
    return curves


def recall_info(recall: Recall) -> RecallInfo:
    return RecallInfo(recall.id, recall.reference, recall.title, recall.approved_at, recall.terminated_at)
