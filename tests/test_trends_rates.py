"""The lot rates from the database equal the definitions computed in Python from the raw rows,
on generated data: every lot and total, for all products and each one, the top 20 and all."""

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from app.charts.rates import FLAG_FACTOR, FLAG_MIN_COMPLAINTS, TOP_LOTS, per_units
from app.extensions import db
from app.models import Lot, Shipment
from app.trends import queries
from tests import factories
from tests.test_trends import PERIOD, add_complaints, at

SEED = 20261204


@pytest.fixture
def plant(app):
    """Three products with 90 lots: a third never shipped, some shipped once in small
    quantities (high rates, ties such as 1/50 = 2/100), the rest several times; 150 complaints,
    most in the period, naming one or two codes (a third of them among twelve "hot" lots), some
    unknown; and a fourth product (below). Returns what the rates are computed from."""
    rng = random.Random(SEED)
    products = [factories.make_product(sku=f"RR-{n}", name=f"Rated {n}").id for n in range(4)]
    shop = factories.make_customer()
    lots = {f"RR{n:03d}": rng.choice(products[:3]) for n in range(90)}
    # A fourth product whose busy lot is flagged at a rate far below the top 20: 3 / 5,000
    # against the product's 4 / 1,005,000.
    lots |= {"RRX-BIG": products[3], "RRX-HOT": products[3]}
    db.session.execute(
        sa.insert(Lot),
        [
            dict(code=code, product_id=pid, kind="finished", quantity=1, unit="case", produced_on=date(2026, 1, 1))
            for code, pid in lots.items()
        ],
    )
    ids = dict(db.session.execute(sa.select(Lot.code, Lot.id)).all())
    shipped: dict[str, list[Decimal]] = {}
    for n, code in enumerate(lots):
        if n % 3 == 0:
            continue
        size = rng.choice([Decimal(50), Decimal(100), Decimal("12.5"), Decimal(rng.randint(200, 5000))])
        shipped[code] = [size] if n % 3 == 1 else [Decimal(rng.randint(1, 4000)) / 4 for _ in range(rng.randint(2, 5))]
    shipped |= {"RRX-BIG": [Decimal(1_000_000)], "RRX-HOT": [Decimal(5000)]}
    db.session.execute(
        sa.insert(Shipment),
        [
            dict(lot_id=ids[code], consignee_id=shop.id, quantity=q, shipped_on=date(2026, 1, 5), reference=f"B{i}")
            for code, quantities in shipped.items()
            for i, q in enumerate(quantities)
        ],
    )
    codes = [*list(lots)[:90], "UNKNOWN-1", "UNKNOWN-2"]
    days = (PERIOD.end - PERIOD.start).days
    complaints = []
    for _ in range(150):
        inside = rng.random() < 0.85
        day = PERIOD.start + timedelta(days=rng.randint(0, days) if inside else -rng.randint(1, 60))
        named = rng.sample(codes[:12] if rng.random() < 0.3 else codes, rng.randint(1, 2))
        complaints.append(dict(product_id=rng.choice(products), received_at=at(day, rng.randint(0, 23)), lots=named))
    complaints += [
        dict(product_id=products[3], received_at=at(PERIOD.end), lots=[code]) for code in ["RRX-BIG"] + ["RRX-HOT"] * 3
    ]
    add_complaints(complaints)
    return dict(products=products, lots=lots, shipped=shipped, complaints=complaints)


def expected(plant, product_id=None, limit=None):
    """The rates by their definitions (app/charts/rates.py), in exact arithmetic."""
    named: dict[str, int] = {}
    for c in plant["complaints"]:
        if PERIOD.start_at <= c["received_at"] < PERIOD.end_at:
            for code in c["lots"]:
                named[code] = named.get(code, 0) + 1
    rows = {}
    for code, n in named.items():
        units = sum(plant["shipped"].get(code, []), Decimal(0))
        pid = plant["lots"].get(code)
        if pid is not None and units > 0 and product_id in (None, pid):
            rows[code] = (pid, n, units)
    totals: dict[int, tuple[int, Decimal]] = {}
    for pid, n, units in rows.values():
        pn, pu = totals.get(pid, (0, Decimal(0)))
        totals[pid] = (pn + n, pu + units)

    def flagged(code):
        pid, n, units = rows[code]
        pn, pu = totals[pid]
        return n >= FLAG_MIN_COMPLAINTS and n * pu >= FLAG_FACTOR * pn * units

    order = sorted(rows, key=lambda code: (-Fraction(rows[code][1]) / Fraction(rows[code][2]), code))
    lots = [(code, rows[code][1], rows[code][2], *totals[rows[code][0]], flagged(code)) for code in order[:limit]]
    return lots, len(rows), sum(map(flagged, rows))


def test_rates_equal_the_definitions_on_generated_data(plant):
    names = queries.products()
    cases = [(pid, limit) for pid in (None, *plant["products"]) for limit in (TOP_LOTS, None)]
    flagged_seen = 0
    for product_id, limit in cases:
        data = queries.rates(PERIOD, product_id, limit)
        lots, total, flagged = expected(plant, product_id, limit)
        got = [(r.code, r.complaints, r.units, r.product_complaints, r.product_units, r.flagged) for r in data.lots]
        assert got == lots, (product_id, limit)
        assert (data.total_lots, data.flagged_total) == (total, flagged), (product_id, limit)
        for r in data.lots:
            assert r.rate == per_units(r.complaints, r.units)
            assert r.product_rate == per_units(r.product_complaints, r.product_units)
            assert r.product in names.values()
        flagged_seen += flagged
    # The data exercise what the statement must get right: more lots than the top 20 and flags.
    all_lots, total, flagged = expected(plant)
    assert total > TOP_LOTS and flagged >= 2 and flagged_seen > flagged
    assert sum(n >= FLAG_MIN_COMPLAINTS and not flag for _c, n, *_r, flag in all_lots) >= 2  # not flagged: rate
    assert ("RRX-HOT", True) in [(code, flag) for code, *_r, flag in all_lots[TOP_LOTS:]]
    ties = [(a[1], a[2]) for a, b in zip(all_lots, all_lots[1:], strict=False) if a[1] * b[2] == b[1] * a[2]]
    assert ties, "no tie between rates: the order by code is not exercised"
