"""The page bench (`make bench BENCH_ARGS="--only pages"`) requests every page a user can GET.

The first test needs no plant: it builds the bench's page list from made-up ids and checks
that every GET route of the app is in it, measured by bench/pages.py itself, or excluded with
a reason, and that each URL reaches the route it is listed under. The others run the
scenario and every page on a tiny plant (each page answers 200 with the expected type), and
check that the scenario is built once per version.
"""

from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.verify import verify_chain
from app.demo.plant import generate_plant
from app.extensions import db
from bench import app_pages, page_list, scenario


class Ids(dict):
    """Made-up facts: any id asked for is 7."""

    def __missing__(self, key):
        return 7


def made_up_pages() -> list[page_list.Page]:
    facts = Ids(main_complaints=[1, 2, 3], attachments=[1, 2], users=Ids())
    found = Ids(code_prefix="OAT-26", form_link="a" * 65, answered_link="b" * 65, job="job-id")
    return page_list.pages(facts, found, 25)


def get_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def test_every_get_route_is_benchmarked_or_excluded_with_a_reason(app):
    covered = {page.endpoint for page in made_up_pages()}
    elsewhere, excluded = set(page_list.ENDPOINTS_ELSEWHERE), set(page_list.EXCLUDED)
    forgotten = get_endpoints(app) - covered - elsewhere - excluded
    assert not forgotten, f"add these pages to bench/page_list.py (or to EXCLUDED, with the reason): {forgotten}"
    assert not covered & excluded, "a page both measured and excluded"
    assert excluded <= get_endpoints(app), "EXCLUDED names a route that no longer exists"
    assert all(page_list.EXCLUDED.values())


def test_each_benchmarked_url_reaches_the_route_it_is_listed_under(app):
    adapter = app.url_map.bind("localhost")
    pages = made_up_pages()
    for page in pages:
        endpoint, _ = adapter.match(page.url.partition("?")[0], method="GET")
        assert endpoint == page.endpoint, page
    cases = [(page.group, page.case) for page in pages]
    assert len(cases) == len(set(cases)), "two cases of one group share a name (results.json keys)"


def test_lists_get_a_deep_page_only_when_they_have_more_than_one():
    def cases(count: int) -> list[str]:
        return [page.case for page in page_list._list("g", "e", "/x/", "sales", count, 25, {"sort": dict(sort="a")})]

    assert cases(7) == ["list: default", "list: sort"]
    assert cases(60) == ["list: default", "list: page 3 of 3", "list: sort"]
    assert cases(100_000)[1] == "list: page 200 of 4,000"


@pytest.fixture
def tiny_plant(app, tmp_path):
    """A 2,000-lot plant with the scenario's records (a few of each) in the test database."""
    app.config["IMPORT_DIR"] = tmp_path / "imports"
    generate_plant(lots=2000, today=date.today())
    return scenario.build(lambda message: None, scenario.TINY)


def test_scenario_and_every_page_on_a_tiny_plant(app, tiny_plant):
    assert tiny_plant["counts"]["recall_notices"] > 0 and tiny_plant["counts"]["alerts"] > 0
    pages = page_list.build(tiny_plant)
    # One timed call per page: time_page raises unless each call answers 200 with the page's type.
    groups = app_pages.measure(app, pages, tiny_plant["users"], 1, lambda message: None)
    assert sum(len(cases) for cases in groups.values()) == len(pages)
    entries = app_pages.entries("sqlite", groups)
    assert {e["name"] for e in entries} == {page.group for page in pages}
    targets = {e["name"]: e["target_ms"] for e in entries}
    assert targets["complaint pages"] == app_pages.TARGET_MS and targets["csv exports"] is None
    assert groups["pdf reports"]["incident report"]["target_ms"] == 300.0


def test_scenario_is_built_once_and_built_again_for_another_version(app, tmp_path):
    """ensure() reuses a finished scenario; of another version it resets to the bare plant first."""
    generate_plant(lots=2000, today=date.today())
    db.session.commit()
    db.session.execute(sa.text("CREATE TABLE bench_meta (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)"))
    db.session.commit()
    try:
        facts = scenario.ensure(lambda message: None, scenario.TINY)
        assert scenario.ensure(lambda message: None, scenario.TINY) == facts  # reused, nothing added
        files = set((tmp_path / "uploads").iterdir())
        meta = db.session.scalar(sa.text("SELECT value FROM bench_meta WHERE name = 'scenario'"))
        older = meta.replace(f'"version": {scenario.VERSION}', '"version": 0')
        db.session.execute(sa.text("UPDATE bench_meta SET value = :v WHERE name = 'scenario'"), {"v": older})
        db.session.commit()
        rebuilt = scenario.ensure(lambda message: None, scenario.TINY)
        assert rebuilt["counts"] == facts["counts"]  # the old records went, the same again were made
        assert verify_chain().ok and not files & set((tmp_path / "uploads").iterdir())
    finally:
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE bench_meta"))
