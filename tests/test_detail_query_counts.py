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
