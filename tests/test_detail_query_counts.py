"""Detail pages read what they show in a fixed number of statements (page bench: <= 12).

The complaint page names its customer, product, investigator and author: they come with the
complaint (not a lazy load each), and the lots it names are read once for the page and its
incident suggestions.
"""

from tests import factories
from tests.test_query_counts import MAX_QUERIES, count_queries


def test_complaint_detail_reads_people_and_lots_once(app, login_as):
    production = factories.make_user(("production",))
    lot = factories.make_lot(code="OAT-26093-007")
    complaint = factories.make_complaint(lot_codes=lot.code, product_id=lot.product_id)
    factories.triage(complaint, actor=production, investigator=production)
    factories.make_incident([factories.make_complaint(lot_codes=lot.code)], actor=production)  # a suggestion
    factories.make_attachment(complaint, actor=production)
    client = login_as("sales")  # neither the author nor the investigator: nobody already loaded
    url, investigator, code = f"/complaints/{complaint.id}", production.name, lot.code

    count, statements, response = count_queries(client, url)

    assert count <= MAX_QUERIES, "\n".join(statements)
    named = [s for s in statements if s.startswith("SELECT DISTINCT complaint_lots.lot_code")]
    assert len(named) == 1  # the page and its suggestions share one read of the named lots
    assert not [s for s in statements if s.startswith(("SELECT customers.", "SELECT products."))]  # joined
    page = response.get_data(as_text=True)
    assert investigator in page and code in page


def test_incident_detail_reads_its_collections_in_one_statement_each(app, login_as):
    """incident.complaints (with products) and incident.actions (with owners) come with the page's
    load of the incident: the same statements for one complaint and action as for four."""
    production = factories.make_user(("production",))
    small, large = (
        factories.make_incident([factories.make_complaint() for _ in range(rows)], actor=production) for rows in (1, 4)
    )
    for incident, rows in ((small, 1), (large, 4)):
        for _ in range(rows):
            factories.make_action(incident, owner=factories.make_user(("production",)), actor=production)
    shown = [c.product.sku for c in large.complaints] + [a.owner.name for a in large.actions]
    small_url, large_url = f"/incidents/{small.id}", f"/incidents/{large.id}"

    one, _, _ = count_queries(login_as("marketing"), small_url)
    four, statements, response = count_queries(login_as("marketing"), large_url)

    assert four == one, "\n".join(statements)
    assert not [s for s in statements if s.startswith(("SELECT products.", "SELECT complaints."))]  # joined
    page = response.get_data(as_text=True)
    assert all(text in page for text in shown)
