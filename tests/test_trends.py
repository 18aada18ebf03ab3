"""The Trends page: chart data from the database on known data, the page (SVG images, alt text,
data tables), CSV, bad filters, and a fixed number of SQL statements whatever the data size."""

import base64
import csv
import io
import itertools
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Complaint, ComplaintLot, RecallLot, RecallNotice
from app.recalls.tokens import new_nonce
from app.trends import queries
from app.trends.queries import Period
from tests import factories

_refs = itertools.count(1)
PERIOD = Period.ending(date(2026, 3, 15), 2)  # Monday 2026-01-12 to Sunday 2026-03-15: 9 weeks


def at(day: date, hour=12, minute=0, second=0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), UTC)


def add_complaints(rows: list[dict]) -> None:
    """Complaints in bulk (one INSERT), each row: received_at, product_id, [category], [lots]."""
    user = factories.make_user(("sales",))
    customer = factories.make_customer()
    now = datetime.now(UTC)
    records, lots = [], []
    for row in rows:
        reference = f"T-{next(_refs):07d}"
        records.append(
            dict(
                reference=reference,
                status="new",
                received_at=row["received_at"],
                channel="phone",
                customer_id=customer.id,
                product_id=row["product_id"],
                description="Test complaint.",
                category=row.get("category", "foreign_matter"),
                injury=False,
                sample_available=False,
                created_by_id=user.id,
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
        lots += [(reference, code) for code in row.get("lots", ())]
    db.session.execute(sa.insert(Complaint), records)
    if lots:
        ids = dict(db.session.execute(sa.select(Complaint.reference, Complaint.id)).all())
        db.session.execute(sa.insert(ComplaintLot), [dict(complaint_id=ids[r], lot_code=c) for r, c in lots])
    db.session.commit()


# Chart data from the database


def test_period_is_whole_weeks_in_utc():
    assert (PERIOD.start, PERIOD.end) == (date(2026, 1, 12), date(2026, 3, 15))
    assert PERIOD.start_at == datetime(2026, 1, 12, tzinfo=UTC) and PERIOD.end_at == datetime(2026, 3, 16, tzinfo=UTC)
    assert Period.ending(date(2026, 3, 31), 1).start == monday_of(date(2026, 2, 28))  # no 31 February
    assert Period.ending(date(2026, 1, 10), 12).start == monday_of(date(2025, 1, 10))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_weekly_counts_per_iso_week_with_zero_weeks_and_other(app):
    p = [factories.make_product(sku=f"W{n}", name=f"Product {n}").id for n in range(1, 8)]
    rows = [
        dict(product_id=p[0], received_at=at(date(2026, 1, 12), 0, 0, 0)),  # Monday 00:00: week 1
        dict(product_id=p[0], received_at=at(date(2026, 1, 18), 23, 59, 59)),  # Sunday 23:59:59: week 1
        dict(product_id=p[0], received_at=at(date(2026, 1, 19), 0, 0, 0)),  # week 2
        dict(product_id=p[0], received_at=at(date(2026, 3, 15), 23, 59, 59)),  # the last second: week 9
        dict(product_id=p[0], received_at=at(date(2026, 1, 11), 23, 59, 59)),  # before the period
        dict(product_id=p[0], received_at=at(date(2026, 3, 16), 0, 0, 0)),  # after it
        dict(product_id=p[1], received_at=at(date(2026, 2, 4))),
        dict(product_id=p[1], received_at=at(date(2026, 2, 5))),
        *(dict(product_id=pid, received_at=at(date(2026, 2, 10))) for pid in p[2:]),
    ]
    add_complaints(rows)
    names = queries.products()
    data = queries.weekly(PERIOD, names)
    assert len(data.weeks) == 9
    assert [s.name for s in data.series] == [names[i] for i in p[:6]] + ["Other"]
    counts = {s.name: s.counts for s in data.series}
    assert counts[names[p[0]]] == (2, 1, 0, 0, 0, 0, 0, 0, 1)
    assert counts[names[p[1]]] == (0, 0, 0, 2, 0, 0, 0, 0, 0)
    assert counts[names[p[2]]] == (0, 0, 0, 0, 1, 0, 0, 0, 0)
    assert counts["Other"] == (0, 0, 0, 0, 1, 0, 0, 0, 0)  # W7, the seventh product
    assert data.total == 11

    only = queries.weekly(PERIOD, names, p[1])
    assert [(s.name, s.counts) for s in only.series] == [(names[p[1]], (0, 0, 0, 2, 0, 0, 0, 0, 0))]


def test_pareto_from_the_database(app):
    product = factories.make_product().id
    categories = ["foreign_matter"] * 5 + ["labeling"] * 3 + ["taste_odor", "packaging"]
    rows = [dict(product_id=product, received_at=at(date(2026, 2, 1)), category=c) for c in categories]
    rows.append(dict(product_id=product, received_at=at(date(2025, 12, 1)), category="packaging"))  # outside
    add_complaints(rows)
    data = queries.pareto(PERIOD)
    assert [(r.label, r.count, round(r.cumulative_percent, 1), r.vital) for r in data.rows] == [
        ("Foreign matter", 5, 50.0, True),
        ("Labeling", 3, 80.0, True),
        ("Packaging", 1, 90.0, False),
        ("Taste / odor", 1, 100.0, False),
    ]
    assert queries.pareto(PERIOD, factories.make_product().id).total == 0


@pytest.fixture
def rated(app):
    """Lots with hand-computed rates (per 10,000 units shipped):

    product A: LA1 4 complaints / 1,000 units = 40 (flagged: ≥3 and ≥ 3 × 4), LA2 1 / 9,000 = 1.11,
      LA3 1 / 9,900 = 1.01, LA4 2 / 100 = 200 (not flagged: only 2); A = 8 / 20,000 = 4.
    product B: LB1 3 / 500 = 60, LB2 2 / 500 = 40 (one complaint names both); B = 5 / 1,000 = 50:
      60 < 150, not flagged.
    product C: LC2 3 / 1,000 = 30, LC3 1 / 3,000 = 3.33; C = 4 / 4,000 = 10: 30 = 3 × 10, flagged.
    Left out: LD1 (never shipped), NOPE (no such lot), a complaint before the period.
    """
    shop = factories.make_customer()
    products = {k: factories.make_product(sku=f"RATE-{k}", name=f"Product {k}") for k in "ABCD"}
    units = {
        "LA1": [600, 400],
        "LA2": [9000],
        "LA3": [9900],
        "LA4": [100],
        "LB1": [500],
        "LB2": [500],
        "LC2": [1000],
        "LC3": [3000],
        "LD1": [],
    }
    for code, quantities in units.items():
        lot = factories.make_lot(code=code, product_id=products[code[1]].id)
        for quantity in quantities:
            factories.make_shipment(lot, shop, quantity=quantity)
    named = [["LA1"]] * 4 + [["LA2"], ["LA3"], ["LA4"], ["LA4"]]
    named += [["LB1", "LB2"], ["LB1"], ["LB1"], ["LB2"]]
    named += [["LC2"]] * 3 + [["LC3"], ["LD1"], ["NOPE"]]
    rows = [dict(product_id=products["A"].id, received_at=at(date(2026, 2, 2)), lots=codes) for codes in named]
    rows.append(dict(product_id=products["A"].id, received_at=at(date(2025, 12, 1)), lots=["LA1"]))
    add_complaints(rows)
    return products


def test_rates_per_lot_and_the_flag_rule(rated):
    data = queries.rates(PERIOD)
    assert data.total_lots == 8 and data.flagged_total == 2
    got = [
        (r.code, r.complaints, int(r.units), round(r.rate, 2), round(r.product_rate, 2), r.flagged) for r in data.lots
    ]
    assert got == [
        ("LA4", 2, 100, 200.0, 4.0, False),
        ("LB1", 3, 500, 60.0, 50.0, False),
        ("LA1", 4, 1000, 40.0, 4.0, True),
        ("LB2", 2, 500, 40.0, 50.0, False),  # ties by code
        ("LC2", 3, 1000, 30.0, 10.0, True),  # exactly 3 × its product's rate
        ("LC3", 1, 3000, 3.33, 10.0, False),
        ("LA2", 1, 9000, 1.11, 4.0, False),
        ("LA3", 1, 9900, 1.01, 4.0, False),
    ]
    assert data.lots[0].product == "RATE-A — Product A"
    assert (data.lots[0].product_complaints, int(data.lots[0].product_units)) == (8, 20000)
    assert [r.code for r in queries.rates(PERIOD, limit=3).lots] == ["LA4", "LB1", "LA1"]
    only_c = queries.rates(PERIOD, rated["C"].id)
    assert [r.code for r in only_c.lots] == ["LC2", "LC3"] and only_c.total_lots == 2


def add_notices(recall, answered: list[datetime | None]) -> None:
    rows = [
        dict(
            recall_id=recall.id,
            consignee_id=factories.make_customer().id,
            quantity_shipped=1,
            token_nonce=new_nonce(),
            status="sent",
            responded_at=when,
        )
        for when in answered
    ]
    db.session.execute(sa.insert(RecallNotice), rows)
    db.session.commit()


@pytest.fixture
def recalls(app):
    proposer = factories.make_user(("marketing",))
    incident = factories.make_incident()
    r1 = factories.make_recall_row(incident, proposer, "RCL-T1", at(date(2026, 3, 1), 10))
    r2 = factories.make_recall_row(
        incident, proposer, "RCL-T2", at(date(2026, 2, 1)), at(date(2026, 2, 20)), "terminated"
    )
    factories.make_recall_row(
        incident, proposer, "RCL-T3", at(date(2025, 1, 1)), at(date(2025, 6, 1)), "terminated"
    )  # long ago
    factories.make_recall_row(incident, proposer, "RCL-T4", None, status="proposed")
    factories.make_recall_row(incident, proposer, "RCL-T5", None, status="cancelled")
    lot = factories.make_lot()
    db.session.add(RecallLot(recall_id=r1.id, lot_id=lot.id, is_root=True))
    db.session.commit()
    add_notices(r1, [at(date(2026, 3, 1), 12), at(date(2026, 3, 3), 23, 59), at(date(2026, 3, 3), 1), None])
    return dict(r1=r1, r2=r2, lot=lot)


def test_recall_effectiveness_curves(recalls):
    found = queries.recent_recalls(PERIOD)
    assert [r.reference for r in found] == ["RCL-T1", "RCL-T2"]
    curves = queries.response_curves(found, today=date(2026, 3, 10))
    first, second = curves
    assert (first.consignees, first.responses, first.last_day) == (4, ((0, 1), (2, 2)), 9)
    assert [share for *_, share in first.cumulative()] == [25.0, 75.0]
    assert (second.consignees, second.responses, second.last_day) == (0, (), 19)  # ended on day 19
    assert [r.reference for r in queries.recent_recalls(PERIOD, recalls["lot"].product_id)] == ["RCL-T1"]
    assert queries.recent_recalls(PERIOD, limit=1)[0].reference == "RCL-T1"


# The page


def recent(days_ago: int, hour=12) -> datetime:
    return at(datetime.now(UTC).date() - timedelta(days=days_ago), hour)


@pytest.fixture
def busy(app):
    """A little of everything, dated from today: complaints on two products naming a shipped
    lot, and an approved recall with one answer of two."""
    oats = factories.make_product(sku="OAT", name="Oat bar")
    nuts = factories.make_product(sku="NUT", name="Nut bar")
    lot = factories.make_lot(code="L-OAT-1", product_id=oats.id)
    factories.make_shipment(lot, factories.make_customer(), quantity=2000)
    rows = [dict(product_id=oats.id, received_at=recent(d), lots=["L-OAT-1"]) for d in (1, 2, 9)]
    rows += [dict(product_id=nuts.id, received_at=recent(20), category="labeling")]
    add_complaints(rows)
    recall = factories.make_recall_row(
        factories.make_incident(), factories.make_user(("marketing",)), "RCL-P1", recent(5)
    )
    add_notices(recall, [recent(3), None])
    return dict(oats=oats, nuts=nuts)


def images(html: str) -> list[tuple[str, str]]:
    """(decoded SVG, alt) of each data: image on the page."""
    found = re.findall(r'<img[^>]*src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', html)
    return [(base64.b64decode(data).decode(), alt) for data, alt in found]


def test_trends_page_shows_four_charts_with_alt_text_and_tables(busy, login_as):
    client = login_as("sales")
    response = client.get("/trends/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    charts = images(html)
    assert len(charts) == 4
    for svg, alt in charts:
        assert "<svg" in svg and len(alt) > 40
    assert "Complaints per week by product" in charts[0][0] and "OAT — Oat bar 3" in charts[0][1]
    # The incident the recall hangs on brings a complaint of its own (foreign matter).
    assert "Foreign matter 4, Labeling 1" in charts[1][1] and "first 80%: Foreign matter (80.0%" in charts[1][1]
    assert "L-OAT-1" in charts[2][0] and "highest L-OAT-1 at 15.0" in charts[2][1]
    assert "RCL-P1: 1 of 2 consignees (50.0%)" in charts[3][1]
    assert html.count("<details>") == 4 and '<th scope="row">L-OAT-1</th>' in html
    assert "<strong>UTC</strong>" in html and "Lot rate</strong> = complaints received" in html
    assert 'href="/trends/"' in html  # the navbar link
    assert "<svg" not in html.split("<main", 1)[1]  # no inline SVG: the CSP allows data: images only


def test_trends_page_filters_by_product(busy, login_as):
    html = login_as("production").get(f"/trends/?product={busy['nuts'].id}&months=3").get_data(as_text=True)
    weekly_alt = images(html)[0][1]
    assert "NUT — Nut bar 1" in weekly_alt and "OAT" not in weekly_alt
    assert "No complaint in this period names a lot that was shipped." in html
    assert "3 months" in html


def test_empty_trends_page(app, login_as):
    html = login_as("marketing").get("/trends/").get_data(as_text=True)
    assert "<img" not in html.split("<main", 1)[1]
    assert html.count("No complaints in this period.") == 2
    assert "No approved recall in this period." in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("months=abc", "The period &#39;abc&#39; is not a whole number of months from 1 to 36"),
        ("months=0", "The period &#39;0&#39; is not"),
        ("months=37", "The period &#39;37&#39; is not"),
        ("months=-3", "The period &#39;-3&#39; is not"),
        ("months=" + "9" * 500, "is not a whole number"),
        ("product=xyz", "Product &#39;xyz&#39; is not valid; ignored."),
        ("product=99999999999", "is not valid; ignored."),
        ("product=424242", "There is no product with id 424242; showing all products."),
        ("months=%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;alert(1)&lt;/"),
    ],
)
def test_bad_filters_give_a_message_not_an_error(app, login_as, query, message):
    client = login_as("sales")
    response = client.get(f"/trends/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and "<script>alert" not in html
    assert "12 months" in html  # the defaults are used instead
    kind = client.get(f"/trends/data.csv?kind=weekly&{query}")
    assert kind.status_code == 400 and message in kind.get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_of_each_chart(busy, login_as):
    client = login_as("admin")
    weekly = read_csv(client.get("/trends/data.csv?kind=weekly"))
    assert weekly[0][:4] == ["Week", "Week starting", "OAT — Oat bar", "NUT — Nut bar"] and weekly[0][-1] == "Total"
    period = Period.ending(queries.today_utc(), 12)
    assert len(weekly) == 1 + (period.end - period.start).days // 7 + 1  # every week, zero or not
    assert sum(int(row[-1]) for row in weekly[1:]) == 5  # with the recall's incident's complaint
    assert sum(int(row[2]) for row in weekly[1:]) == 3
    pareto = read_csv(client.get("/trends/data.csv?kind=pareto&months=1"))
    assert pareto[1:] == [["Foreign matter", "4", "80.0", "80.0", "yes"], ["Labeling", "1", "20.0", "100.0", "no"]]
    rates = read_csv(client.get("/trends/data.csv?kind=rates"))
    assert rates[1] == ["L-OAT-1", "OAT — Oat bar", "3", "2000.000", "15.00", "3", "2000.000", "15.00", "no"]
    effectiveness = read_csv(client.get("/trends/data.csv?kind=effectiveness"))
    assert effectiveness[0][0] == "Recall" and effectiveness[1][0] == "RCL-P1" and effectiveness[1][-1] == "50.0"
    nuts = read_csv(client.get(f"/trends/data.csv?kind=weekly&product={busy['nuts'].id}"))
    assert nuts[0] == ["Week", "Week starting", "NUT — Nut bar", "Total"]
    assert client.get("/trends/data.csv?kind=nope").status_code == 400
    assert client.get("/trends/data.csv").status_code == 400


def test_rates_csv_lists_every_lot_not_only_the_top_20(app, login_as):
    product = factories.make_product()
    shop = factories.make_customer()
    for n in range(25):
        factories.make_shipment(factories.make_lot(code=f"MANY-{n:02d}", product_id=product.id), shop, quantity=100 + n)
    add_complaints([dict(product_id=product.id, received_at=recent(2), lots=[f"MANY-{n:02d}"]) for n in range(25)])
    client = login_as("sales")
    assert len(read_csv(client.get("/trends/data.csv?kind=rates"))) == 26
    html = client.get("/trends/").get_data(as_text=True)
    table = html.split('id="rates-title"')[1].split("</table>")[0]
    assert table.count('<th scope="row">') == 20


def test_trends_need_a_login(client):
    assert client.get("/trends/").status_code == 302
    assert client.get("/trends/data.csv?kind=weekly").status_code == 302


# Queries per page


def test_trends_page_issues_the_same_few_statements_whatever_the_data_size(app, login_as):
    client = login_as("production")
    products = [factories.make_product().id for _ in range(8)]
    shop = factories.make_customer()
    codes = []
    for n in range(5):
        factories.make_shipment(factories.make_lot(code=f"QC-{n}", product_id=products[n]), shop, quantity=500)
        codes.append(f"QC-{n}")
    recall = factories.make_recall_row(
        factories.make_incident(), factories.make_user(("marketing",)), "RCL-Q1", recent(30)
    )
    add_notices(recall, [recent(20), None])
    categories = ["foreign_matter", "labeling", "packaging", "taste_odor", "other"]

    def add(n: int, offset: int) -> None:
        add_complaints(
            [
                dict(
                    product_id=products[i % 8],
                    received_at=recent((i * 7) % 360, hour=i % 24),
                    category=categories[i % 5],
                    lots=[codes[i % 5]],
                )
                for i in range(offset, offset + n)
            ]
        )

    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    def measure() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get("/trends/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    add(9, 0)  # and the incident's own complaint: 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 10
    small = measure()
    add(990, 9)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1000
    large = measure()
    assert large == small, statements
    print(f"trends page: {large} SQL statements")
    assert large <= 12, statements


def test_the_page_reuses_its_charts_for_the_configured_time_and_says_so(make_app, monkeypatch):
    from app.trends import cache

    cache.clear()
    app = make_app(TRENDS_CACHE_SECONDS=300)
    with app.app_context():
        sales = factories.make_user(("sales",))
        product = factories.make_product()
        factories.make_complaint(actor=sales, product_id=product.id)
        client = app.test_client()
        client.post("/auth/login", data={"username": sales.username, "password": "correct-horse-1"})
        first = client.get("/trends/").get_data(as_text=True)
        factories.make_complaint(actor=sales, product_id=product.id)
        again = client.get("/trends/").get_data(as_text=True)
        fresh_csv = client.get("/trends/data.csv?kind=weekly").get_data(as_text=True)
        clock = cache.time.monotonic() + 301
        monkeypatch.setattr(cache.time, "monotonic", lambda: clock)
        later = client.get("/trends/").get_data(as_text=True)
    cache.clear()
    assert "kept for 5 minutes" in first
    assert ": 1 in all (" in first and again == first  # the second complaint is not counted yet
    assert sum(int(row.split(",")[-1]) for row in fresh_csv.strip().splitlines()[1:]) == 2
    assert ": 2 in all (" in later
