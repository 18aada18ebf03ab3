"""A complaint's first steps, in Chromium, as the users do them: log, find, triage."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/home")


def nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def test_sales_logs_a_complaint_and_production_triages_it(live_app, live_server, new_page):
    with live_app.app_context():
        # Someone else's complaint, so the search below has something to leave out.
        factories.make_complaint(lot_codes="OTHER-LOT-9")
        sales = factories.make_user(("sales",), name="Sam Sales", password=PASSWORD)
        triager = factories.make_user(("production",), name="Pia Production", password=PASSWORD)
        factories.make_user(("production",), name="Ivo Investigator", password=PASSWORD)
        customer = factories.make_customer(name="Northside Grocers")
        product = factories.make_product(sku="GRN-500", name="Granola 500 g", kind="finished")
        sales_username, triager_username = sales.username, triager.username
        customer_name, product_label = customer.name, product.label
    lot_code = "L26-E2E-0417"

    # Sales logs the complaint from the navigation bar.
    page = new_page()
    sign_in(page, live_server, sales_username)
    nav_link(page, "Log a complaint").click()
    expect(page.get_by_role("heading", name="Log a complaint")).to_be_visible()
    page.get_by_label("Channel").select_option(label="Email")
    page.get_by_label("Customer", exact=True).select_option(label=customer_name)
    page.get_by_label("Complainant name").fill("Dana Shopper")
    page.get_by_label("Complainant phone or email").fill("dana@example.com")
    page.get_by_label("Product", exact=True).select_option(label=product_label)
    page.get_by_label("Lot code(s) as reported").fill(lot_code)
    page.get_by_label("Quantity affected").fill("2")
    page.get_by_label("Category").select_option(label="Foreign matter")
    page.get_by_label("Sample available").check()
    page.get_by_label("What happened").fill("A blue plastic splinter in the second bowl.")
    page.get_by_role("button", name="Log complaint").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/complaints/\d+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"CMP-\d{4}-\d{4}"))
    reference = re.search(r"CMP-\d{4}-\d{4}", heading.inner_text()).group(0)
    assert reference.startswith(f"CMP-{datetime.now(UTC).year}-")
    expect(page.get_by_role("alert")).to_contain_text(f"Complaint {reference} logged.")
    expect(page.locator("h1 .badge")).to_have_text("New")
    expect(page.locator("main")).to_contain_text(lot_code)
    expect(page.locator("main")).to_contain_text(product_label)

    # It is found in the list by its lot code, and the other complaint is not.
    nav_link(page, "Complaints").click()
    expect(page.get_by_role("heading", name="Complaints")).to_be_visible()
    page.get_by_label("Search", exact=True).fill(lot_code)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]q=L26-E2E-0417"))
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(reference)
    expect(rows.first).to_contain_text(customer_name)
    expect(rows.first).to_contain_text("GRN-500")
    expect(page.locator("table")).not_to_contain_text("OTHER-LOT-9")

    # Production, in its own browser context, opens it and triages it.
    page = new_page()
    sign_in(page, live_server, triager_username)
    nav_link(page, "Complaints").click()
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    page.get_by_role("link", name="Triage", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Triage: {reference}")
    due = date.today() + timedelta(days=10)
    page.get_by_label("Severity").select_option("4")
    page.get_by_label("Probability").select_option("3")
    page.get_by_label("Reportable to an authority?").select_option(label="No")
    page.get_by_label("Reason for the reportability decision").fill("Hard plastic, no injury reported.")
    page.get_by_label("Investigator").select_option(label="Ivo Investigator")
    page.get_by_label("Investigation due").fill(due.isoformat())
    page.get_by_role("button", name="Triage", exact=True).click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/complaints/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text(f"{reference}: triage done — now triaged.")
    expect(page.locator("h1 .badge")).to_have_text("Triaged")
    triage_card = page.locator(".card").filter(has=page.locator(".card-header", has_text="Triage"))
    expect(triage_card).to_contain_text("4 × 3 = risk 12")
    expect(triage_card).to_contain_text("Ivo Investigator")
    expect(triage_card).to_contain_text(due.isoformat())
    expect(triage_card).to_contain_text("No — Hard plastic, no injury reported.")

    timeline = page.locator("#timeline .timeline-item")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("Created by Sam Sales")
    expect(timeline.nth(1)).to_contain_text("Triage by Pia Production")
    expect(timeline.nth(1)).to_contain_text(re.compile(r"Risk score:\s*—\s*→\s*12"))
    expect(timeline.nth(1)).to_contain_text("Ivo Investigator")


def test_pages_load_bootstrap_from_the_app_itself(live_app, live_server, page):
    with live_app.app_context():
        username = factories.make_user(("sales",), password=PASSWORD).username
    requested, failed, console_errors = [], [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))

    def on_console(msg):
        # The app has no favicon yet; Chromium's automatic /favicon.ico 404 is not a page error.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            console_errors.append(f"{msg.text} ({msg.location.get('url')})")

    page.on("console", on_console)

    stylesheets = []
    page.on(
        "response",
        lambda response: (
            stylesheets.append((response.url, response.status))
            if response.request.resource_type == "stylesheet"
            else None
        ),
    )
    sign_in(page, live_server, username)
    # Let each page finish loading before leaving it: a navigation aborts the previous page's
    # pending requests, which would show up as failed requests that have nothing to do with us.
    page.wait_for_load_state("networkidle")
    for path in ("/complaints/", "/complaints/new"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        # Bootstrap's rules are applied: a primary button has Bootstrap's blue.
        button = page.locator(".btn-primary").first
        expect(button).to_have_css("background-color", "rgb(13, 110, 253)")

    assert requested, "no request was recorded"
    outside = [url for url in requested if not url.startswith(live_server + "/")]
    assert outside == [], f"requests left the app: {outside}"
    bootstrap_css = [(url, status) for url, status in stylesheets if re.search(r"bootstrap[^/]*\.css", url)]
    assert bootstrap_css, f"no Bootstrap stylesheet among {stylesheets}"
    # The first load is a 200; later pages revalidate the cached copy (304).
    assert bootstrap_css[0][1] == 200, bootstrap_css
    assert all(status in (200, 304) for _, status in bootstrap_css), bootstrap_css
    assert any(re.search(r"bootstrap[^/]*\.js", url) for url in requested), "Bootstrap JS not loaded"
    assert failed == [], f"failed requests: {failed}"
    assert console_errors == [], f"browser console errors: {console_errors}"


def test_many_customers_sales_types_part_of_a_name_and_picks_it(live_app, live_server, new_page, monkeypatch):
    from app.complaints import customers

    monkeypatch.setattr(customers, "SELECT_LIMIT", 2)  # three customers: the search field, not the select
    with live_app.app_context():
        username = factories.make_user(("sales",), password=PASSWORD).username
        wanted = factories.make_customer(name="Northside Grocers")
        factories.make_customer(name="Northside Grocers East")
        factories.make_customer(name="Alpine Foods")
        product = factories.make_product(sku="GRN-501", name="Granola 750 g", kind="finished")
        wanted_id, product_label = wanted.id, product.label

    page = new_page()
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/complaints/new")
    customer = page.get_by_label("Customer", exact=True)
    customer.press_sequentially("rthside gro")
    # static/customer_lookup.js asked the server and filled the suggestions.
    suggestions = page.locator("#customer-suggestions option")
    expect(suggestions).to_have_count(2)
    expect(suggestions.first).to_have_attribute("value", "Northside Grocers")
    expect(page.locator("#customer_id")).to_have_value("")
    customer.fill("Northside Grocers")  # what picking the suggestion puts in the field
    expect(page.locator("#customer_id")).to_have_value(str(wanted_id))
    page.get_by_label("Product", exact=True).select_option(label=product_label)
    page.get_by_label("What happened").fill("Seal broken on arrival.")
    page.get_by_role("button", name="Log complaint").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/complaints/\d+$"))
    expect(page.locator("main")).to_contain_text("Northside Grocers")

    # Typing over a pick clears the id; a name nobody has is refused next to the field.
    page.goto(f"{live_server}/complaints/new")
    customer = page.get_by_label("Customer", exact=True)
    customer.fill("Nobody Ltd")
    page.get_by_label("Product", exact=True).select_option(label=product_label)
    page.get_by_label("What happened").fill("Seal broken on arrival.")
    page.get_by_role("button", name="Log complaint").click()
    expect(page.locator("#customer_name-error")).to_contain_text("No customer named “Nobody Ltd”")
    expect(page.get_by_label("Customer", exact=True)).to_have_attribute("aria-invalid", "true")
