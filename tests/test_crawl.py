"""Follow every link as each demo user: no page answers with a server error."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from app.demo import DEMO_PASSWORD, load
from app.extensions import db

HREF = re.compile(r'href="([^"#]+)')
MAX_PAGES = 400


@pytest.fixture
def demo(app):
    load()
    db.session.commit()


def crawl(client, start="/home"):
    seen, queue, statuses = set(), [start], {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        statuses[url] = response.status_code
        body = response.get_data(as_text=True)  # drains streamed (CSV) responses too
        response.close()
        if response.mimetype != "text/html":
            continue
        for href in HREF.findall(body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(("/static", "/bootstrap")):
                continue
            if target not in seen:
                queue.append(target)
    return statuses


@pytest.mark.parametrize("username", ["sales", "production", "marketing", "admin"])
def test_every_link_answers_without_server_error(app, demo, username):
    client = app.test_client()
    assert client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    statuses = crawl(client)
    assert len(statuses) > 10, "the crawl found too few pages to mean anything"
    errors = {url: code for url, code in statuses.items() if code >= 500}
    assert errors == {}
    # the crawl must reach records, not just menus
    assert any(re.fullmatch(r"/complaints/\d+", url) for url in statuses)
