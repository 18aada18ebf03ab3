"""One parser for every typed quantity (models.quantity.parse_quantity) and one way of showing
one (format_quantity, the |quantity filter) — issue 17, point 4. The old response form read
"1,5" as 15 and "2,500" as 2500 (it stripped commas)."""

from decimal import Decimal

import pytest

from app.models.quantity import QuantityError, format_quantity, parse_quantity


@pytest.mark.parametrize(
    "typed, value",
    [
        ("1,5", "1.5"),  # a French or German consignee's one and a half
        ("1.5", "1.5"),
        ("2,50", "2.5"),
        ("0,125", "0.125"),  # no one groups thousands after a 0
        ("1234,567", "1234.567"),  # a thousands group has at most three digits before it
        ("2500", "2500"),
        (" 12 ", "12"),
        ("0", "0"),
        ("1000000000", "1000000000"),
        (Decimal("2.5"), "2.5"),
        (7, "7"),
    ],
)
def test_a_dot_or_a_comma_is_the_decimal_separator(typed, value):
    assert parse_quantity(typed) == Decimal(value)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("2,500", "“2,500” could be 2500 or 2.5: write 2500 without a thousands separator"),
        ("2.500", "“2.500” could be 2500 or 2.5"),
        ("1,250", "could be 1250 or 1.25"),
        ("1 000", "without a thousands separator"),
        ("1\u202f000", "without a thousands separator"),
        ("1'000", "without a thousands separator"),
        ("2,500.5", "without a thousands separator"),
        ("1.000.000", "without a thousands separator"),
        ("-1", "cannot be negative"),
        ("−3", "cannot be negative"),
        ("NaN", "Enter a number in digits"),
        ("Infinity", "Enter a number in digits"),
        ("inf", "Enter a number in digits"),
        ("1e3", "without an exponent"),
        ("1E999", "without an exponent"),
        ("9" * 50, "too large"),
        ("1000000001", "too large"),
        ("1.2345", "at most 3 decimal places"),
        ("٣", "Enter a number in digits"),  # an Arabic-Indic three: Decimal() would take it
        ("²", "Enter a number in digits"),
        ("12 kg", "Enter a number in digits"),
        ("", "Enter a number (0 if none)"),
        (True, "Enter a number"),
        (Decimal("NaN"), "Enter a number in digits"),
    ],
)
def test_refused_quantities_say_what_to_write(typed, message):
    with pytest.raises(QuantityError) as error:
        parse_quantity(typed)
    assert message in str(error.value)


def test_a_file_keeps_its_format_a_dot_is_always_the_decimal_point():
    assert parse_quantity("12.500", machine=True) == Decimal("12.5")  # an ERP's fixed decimals
    for typed in ("12,5", "2,500", "1 000"):
        with pytest.raises(QuantityError, match="Use a dot before decimals"):
            parse_quantity(typed, machine=True)
    with pytest.raises(QuantityError, match="greater than 0"):
        parse_quantity("0", machine=True, positive=True)


@pytest.mark.parametrize(
    "value, unit, shown",
    [
        (Decimal("113.000"), "bags", "113 bags"),
        (Decimal("1.500"), "kg", "1.5 kg"),
        (Decimal("2500.000"), None, "2500"),
        (Decimal("12500.250"), "kg", "12\u202f500.25 kg"),
        (Decimal("0.000"), "case", "0 case"),
        (None, "bags", ""),
    ],
)
def test_quantities_show_in_their_unit_without_trailing_zeros(value, unit, shown):
    assert format_quantity(value, unit) == shown


def test_machine_readable_quantities_are_not_grouped():
    assert format_quantity(Decimal("12500.500"), group="") == "12500.5"


def test_the_complaint_form_reads_a_comma_and_refuses_a_thousands_separator(app, login_as):
    from tests import factories
    from tests.test_complaints import form_data

    client = login_as("sales")
    product, customer = factories.make_product(), factories.make_customer()
    refused = client.post("/complaints/new", data=form_data(product, customer, quantity_affected="2,500"))
    assert refused.status_code == 422 and "without a thousands separator" in refused.get_data(as_text=True)
    assert client.post("/complaints/new", data=form_data(product, customer, quantity_affected="1,5")).status_code == 302
    from app.extensions import db
    from app.models import Complaint

    complaint = db.session.scalar(db.select(Complaint))
    assert complaint.quantity_affected == Decimal("1.5")
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert "1.5 case" in page and "1.500" not in page
