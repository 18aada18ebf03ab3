"""The chart builders on known data (weekly buckets, Pareto, rates and the flag rule, response
curves), their SVG, and the charts in the incident and full recall PDFs."""

import base64
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing

from app.charts import (
    EFFECTIVENESS_TITLE,
    WEEKLY_TITLE,
    LotRate,
    ParetoData,
    RateData,
    ResponseCurve,
    WeeklyData,
    data_uri,
    effectiveness_chart,
    pareto_chart,
    rates_chart,
    to_svg,
    weekly_chart,
)
from app.charts.drawing import nice_scale
from app.charts.effectiveness import effectiveness_rows
from app.charts.rates import is_flagged, per_units
from app.charts.weekly import monday, week_label
from app.extensions import db
from app.models import CATEGORIES, RecallNotice
from app.recalls import responses, services
from app.reports.incident import WEEKLY_LINKED_TITLE, WEEKLY_PRODUCTS_TITLE
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


# Weekly


def test_weeks_are_iso_weeks_with_zero_weeks_and_other():
    start, end = date(2026, 1, 15), date(2026, 3, 15)  # Thursday .. Sunday
    names = {n: f"P{n}" for n in range(1, 9)}
    rows = [(n, date(2026, 1, 12), 9 - n) for n in range(1, 9)]  # P1 8 ... P8 1, all in week 1
    rows += [(1, date(2026, 2, 1), 2), (1, date(2026, 2, 2), 3)]  # Sunday (week 3) and Monday (week 4)
    rows += [(7, date(2026, 3, 15), 4), (2, date(2026, 1, 11), 50), (2, date(2026, 3, 16), 50)]  # last day; outside
    data = WeeklyData.from_counts(rows, names, start, end)

    assert data.weeks[0] == date(2026, 1, 12) and data.weeks[-1] == date(2026, 3, 9) and len(data.weeks) == 9
    # Totals: P1 13, P2 7, P3 6, P7 6 (ties by name), P4 5, P5 4; P6 3 and P8 1 make "Other".
    assert [s.name for s in data.series] == ["P1", "P2", "P3", "P7", "P4", "P5", "Other"]
    by_name = {s.name: s.counts for s in data.series}
    assert by_name["P1"] == (8, 0, 2, 3, 0, 0, 0, 0, 0)
    assert by_name["P7"] == (2, 0, 0, 0, 0, 0, 0, 0, 4)
    assert by_name["P2"] == (7, 0, 0, 0, 0, 0, 0, 0, 0)  # the 50s fall outside the weeks
    assert by_name["Other"] == (3 + 1, 0, 0, 0, 0, 0, 0, 0, 0)  # P6 (3) and P8 (1)
    assert data.totals == (36, 0, 2, 3, 0, 0, 0, 0, 4) and data.total == 45
    assert data.rows()[1] == ["2026-W04", "2026-01-19", 0, 0, 0, 0, 0, 0, 0, 0]
    assert data.header() == ["Week", "Week starting", "P1", "P2", "P3", "P7", "P4", "P5", "Other", "Total"]


def test_six_products_or_fewer_have_no_other():
    data = WeeklyData.from_counts(
        [(1, date(2026, 1, 5), 1), (2, date(2026, 1, 6), 2)], {1: "A", 2: "B"}, date(2026, 1, 5), date(2026, 1, 11)
    )
    assert [s.name for s in data.series] == ["B", "A"] and len(data.weeks) == 1


def test_week_helpers():
    assert monday(date(2026, 11, 22)) == date(2026, 11, 16)  # a Sunday
    assert week_label(date(2025, 12, 29)) == "2026-W01"  # ISO year differs from the calendar year
    assert nice_scale(37) == (40, 10) and nice_scale(3) == (3, 1) and nice_scale(0) == (1.0, 1.0)


# Pareto


def test_pareto_order_cumulative_and_first_80_percent():
    counts = [("packaging", 1), ("foreign_matter", 5), ("taste_odor", 1), ("labeling", 3), ("injury_illness", 0)]
    data = ParetoData.from_counts(counts, CATEGORIES)
    assert data.total == 10
    assert [(r.label, r.count) for r in data.rows] == [
        ("Foreign matter", 5),
        ("Labeling", 3),
        ("Packaging", 1),  # ties by label
        ("Taste / odor", 1),
    ]
    assert [r.cumulative_percent for r in data.rows] == [50.0, 80.0, 90.0, 100.0]
    # Foreign matter and labeling reach 80% exactly: packaging starts at 80%, so it is not vital.
    assert [r.vital for r in data.rows] == [True, True, False, False]
    assert data.rows_out()[1] == ["Labeling", 3, "30.0", "80.0", "yes"]


def test_pareto_single_category_is_vital():
    data = ParetoData.from_counts([("other", 4)], CATEGORIES)
    assert [(r.label, r.cumulative_percent, r.vital) for r in data.rows] == [("Other", 100.0, True)]


# Rates


def test_rate_arithmetic_and_flag_rule():
    assert per_units(4, Decimal(1000)) == 40.0
    assert per_units(1, 0) == 0.0
    # 3 complaints on 1,000 units against a product at 4 per 4,000: 30 = 3 × 10 exactly -> flagged.
    assert is_flagged(3, Decimal(1000), 4, Decimal(4000))
    assert not is_flagged(3, Decimal(1001), 4, Decimal(4001))  # just under 3 ×
    assert not is_flagged(2, Decimal(100), 8, Decimal(20000))  # 200 per 10,000 but only 2 complaints


# Effectiveness


def curve(**kw):
    base = dict(
        reference="RCL-1",
        title="t",
        approved_on=date(2026, 3, 1),
        last_day=9,
        consignees=4,
        responses=((0, 1), (2, 2)),
    )
    return ResponseCurve(**{**base, **kw})


def test_response_curve_is_cumulative():
    c = curve()
    assert c.responded == 3 and c.percent == 75.0
    assert c.cumulative() == [(0, date(2026, 3, 1), 1, 1, 25.0), (2, date(2026, 3, 3), 2, 3, 75.0)]
    assert c.points() == [(0, 0.0), (0, 0.0), (0, 25.0), (2, 25.0), (2, 75.0), (9, 75.0)]
    assert effectiveness_rows([c])[1] == ["RCL-1", 4, 2, "2026-03-03", 2, 3, "75.0"]


# Drawings and SVG


def test_every_chart_draws_and_renders_svg():
    weekly = WeeklyData.from_counts([(1, date(2026, 1, 5), 3)], {1: "Oat bar"}, date(2026, 1, 1), date(2026, 2, 1))
    pareto = ParetoData.from_counts([("labeling", 2)], CATEGORIES)
    lot = LotRate("L1", "SKU — x", 3, Decimal(100), 300.0, 3, Decimal(1000), 30.0, True)
    rates = RateData((lot,), 1, 1)
    drawings = [
        weekly_chart(weekly),
        pareto_chart(pareto),
        rates_chart(rates),
        effectiveness_chart([curve()]),
    ]
    for drawing in drawings:
        assert isinstance(drawing, Drawing)
        svg = to_svg(drawing)
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "Helvetica" in svg
    assert WEEKLY_TITLE in to_svg(drawings[0]) and "Oat bar" in to_svg(drawings[0])
    assert "L1 *" in to_svg(drawings[2])  # flagged lots are starred, not only coloured
    uri = data_uri(drawings[3])
    assert uri.startswith("data:image/svg+xml;base64,")
    assert "RCL-1" in base64.b64decode(uri.split(",", 1)[1]).decode()


def test_empty_charts_say_so():
    empty = WeeklyData.from_counts([], {}, date(2026, 1, 1), date(2026, 1, 31))
    assert "No complaints in this period." in to_svg(weekly_chart(empty))
    assert "No complaints" in to_svg(pareto_chart(ParetoData.from_counts([], CATEGORIES)))
    assert "No shipped lot" in to_svg(rates_chart(RateData((), 0, 0)))
    assert "No approved recall" in to_svg(effectiveness_chart([]))


# PDFs


def test_incident_report_charts_the_complaints_about_its_products(app, login_as):
    product = factories.make_product(sku="OAT-1", name="Oat bar")
    complaints = [factories.make_complaint(product_id=product.id) for _ in range(2)]
    incident = factories.make_incident(complaints)
    client = login_as("production")
    pdf = client.get(f"/incidents/{incident.id}/report.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    assert WEEKLY_PRODUCTS_TITLE in text and "OAT-1 — Oat bar" in text
    assert text.index("Complaints") < text.index(WEEKLY_PRODUCTS_TITLE) < text.index("Trace: affected lots")


def test_incident_report_charts_its_own_complaints_when_none_is_recent(app, login_as):
    from app.models import Complaint
    from app.models.types import utcnow

    product = factories.make_product(sku="OAT-3", name="Old oat bar")
    complaints = [factories.make_complaint(product_id=product.id) for _ in range(2)]
    incident = factories.make_incident(complaints)
    old = utcnow() - timedelta(days=500)
    db.session.execute(sa.update(Complaint).values(received_at=old))
    db.session.commit()
    text = pdf_text(login_as("production").get(f"/incidents/{incident.id}/report.pdf").data)
    assert WEEKLY_LINKED_TITLE in text and WEEKLY_PRODUCTS_TITLE not in text


def test_incident_report_charts_all_complaints_of_its_products_when_given(app):
    from app.incidents.report_data import incident_report_data
    from app.reports import build_incident_report
    from app.trends.queries import weekly_for_incident

    product = factories.make_product(sku="OAT-2", name="Oat bar")
    linked = factories.make_complaint(product_id=product.id)
    factories.make_complaint(product_id=product.id)  # not linked, but about the same product
    factories.make_complaint()  # another product: not counted
    incident = factories.make_incident([linked])
    weekly = weekly_for_incident(incident.id)
    assert [s.name for s in weekly.series] == ["OAT-2 — Oat bar"] and weekly.total == 2
    data = incident_report_data(incident)
    data.weekly = weekly
    text = pdf_text(build_incident_report(data))
    assert WEEKLY_PRODUCTS_TITLE in text


@pytest.fixture
def approved_recall(app):
    plant = factories.make_plant()
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    approver = factories.make_user(("marketing",), name="Mona Approver")
    services.approve(recall, approver, "approved", PASSWORD)
    db.session.commit()
    return recall


def test_full_recall_report_charts_responses_over_time(app, login_as, approved_recall):
    recall = approved_recall
    notice = db.session.scalars(sa.select(RecallNotice).where(RecallNotice.recall_id == recall.id)).first()
    answer = factories.answer((1, 0, 0), (0, 0, 0), (0, 0, 0))
    responses.record_response(notice, answer, source="link")
    db.session.commit()
    client = login_as("marketing")
    text = pdf_text(client.get(f"/recalls/{recall.id}/report.pdf").data)
    assert EFFECTIVENESS_TITLE in text
    assert "1 of 2 consignees (50.0%) had responded by day 0" in text
    status = pdf_text(client.get(f"/recalls/{recall.id}/status-report.pdf").data)
    assert EFFECTIVENESS_TITLE not in status  # the status report stays as it was


def test_recall_report_data_reads_the_curve_in_one_query(app, approved_recall):
    from app.recalls.report_data import response_curve

    statements = []

    def record(*args):
        statements.append(args[2])

    db.session.refresh(approved_recall)  # loaded, as the report route has it
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = response_curve(approved_recall)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1, statements
    assert result.consignees == 2 and result.responded == 0 and result.approved_on == datetime.now(UTC).date()
    assert result.last_day == 0 and result.points() == [(0, 0.0), (0, 0.0)]
