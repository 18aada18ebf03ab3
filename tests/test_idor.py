"""Record ids in URLs: an id that is not there, or not the user's, never shows or changes
anything, and never errors. The role × route matrix (tests/test_permissions.py) covers who may
open each page of an existing record; this file covers the ids themselves."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Alert
from app.permissions import ROLES
from tests import factories

MISSING = 2_000_000_000  # no record has this id (the converter refuses larger ones)
INT_ARG = re.compile(r"<int:(\w+)>")


def id_routes(app) -> list[tuple[str, str, set[str]]]:
    """(endpoint, URL with every id replaced by MISSING, methods) for every route taking an id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not INT_ARG.search(rule.rule) or rule.endpoint == "static":
            continue
        url = INT_ARG.sub(str(MISSING), rule.rule)
        url = re.sub(r"<(?:string:)?(\w+)>", "complaint", url)  # e.g. attachments' record type
        routes.append((rule.endpoint, url, set(rule.methods) - {"HEAD", "OPTIONS"}))
    return sorted(routes)


@pytest.mark.parametrize("role", ROLES)
def test_a_missing_record_id_is_404_or_403_on_every_route_for_every_role(app, login_as, role):
    client = login_as(role)
    routes = id_routes(app)
    assert len(routes) > 40  # every detail, edit, transition, report and CSV route with an id
    for endpoint, url, methods in routes:
        for method in methods:
            response = client.open(url, method=method, data={"reason": "x", "password": "y"})
            assert response.status_code in (403, 404), (endpoint, method, url, response.status_code)


def test_another_users_alert_cannot_be_opened_or_marked_read(app, login_as):
    owner, other = login_as("production"), login_as("production")
    alert = factories.make_alert(owner.user)
    assert other.get(f"/alerts/{alert.id}/open").status_code == 404
    db.session.expire_all()
    assert db.session.scalar(sa.select(Alert.read_at).where(Alert.id == alert.id)) is None
    assert other.post("/alerts/read-all").status_code in (302, 303)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Alert.read_at).where(Alert.id == alert.id)) is None
    assert owner.get(f"/alerts/{alert.id}/open").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Alert.read_at).where(Alert.id == alert.id)) is not None
