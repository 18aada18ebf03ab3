"""Far-out-of-range numbers and dates are never a 500 (issue 17, point 6): every id in a URL,
every query argument the app reads, and every number and date field of every form, with values
past what the databases hold (PostgreSQL raises on integers past 2^63 and on years past 294276;
SQLite on integers past 2^63; Python's dates end at 9999-12-31)."""

import importlib
import re
from pathlib import Path

import pytest
from flask import g

from app.extensions import db
from app.web.filters import MAX_ID
from tests import factories
from tests import fuzz_forms as ff

ROOT = Path(__file__).resolve().parent.parent
HUGE_IDS = ["99999999999999999999", str(2**63), str(MAX_ID + 1)]
FAR_NUMBERS = [*HUGE_IDS, str(-(2**63) - 1), "-99999999999999999999", "1e309", "-1e309", "1" + "0" * 30 + ".5"]
FAR_DATES = ["9999-12-31", "10000-01-01", "0001-01-01", "294277-01-01", "-0001-01-01", "99999999-01-01"]
FAR_DATETIMES = ["9999-12-31T23:59", "0001-01-01T00:00", "10000-01-01T00:00", "294277-01-01T00:00"]
FAR_VALUES = FAR_NUMBERS + FAR_DATES
# Query arguments read anywhere in app/: by request.args, a FilterParser or a filters class.
_ARG = re.compile(
    r"""(?:args\.get(?:list)?|\b(?:p|parser)\.(?:date|record_id|choice|text|number|flag))\(\s*"([a-z_]+)\""""
)


def _query_names() -> list[str]:
    names = {"page", "per_page", "months", "root", "lot"}
    for path in (ROOT / "app").rglob("*.py"):
        names |= set(_ARG.findall(path.read_text(encoding="utf-8")))
    return sorted(names - {"next", "format"})


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "bootstrap.static") or rule.endpoint.endswith(".static"):
            continue
        yield rule


def _path(rule, number: str) -> str:
    """The rule's URL with every <int:…> set to `number` and every other part to a plain word."""
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", lambda m: number if m.group(1) == "int" else "x", rule.rule)


def _get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    g.pop("_login_user", None)  # as at the end of a real request
    db.session.remove()
    return response


def test_the_sweep_knows_the_query_arguments():
    names = _query_names()
    assert {"page", "date_from", "date_to", "product_id", "incident", "against", "months", "status"} <= set(names)


@pytest.mark.parametrize("number", [*HUGE_IDS, "0"])
def test_every_id_in_a_url_past_what_the_database_holds_is_a_404(login_as, app, number):
    client = login_as(ff.ALL_ROLES)
    checked = 0
    for rule in _rules(app):
        if "<int:" not in rule.rule:
            continue
        url = _path(rule, number)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        g.pop("_login_user", None)
        db.session.remove()
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("value", FAR_VALUES)
def test_every_list_and_page_reads_far_out_query_arguments_without_a_500(login_as, app, value):
    client = login_as(ff.ALL_ROLES)
    args = dict.fromkeys(_query_names(), value)
    checked = 0
    for rule in _rules(app):
        if rule.arguments or "GET" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        response = _get(client, rule.rule, query_string=args)
        assert response.status_code < 500, f"GET {rule.rule} with {value}: {response.status_code}"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", _query_names())
def test_each_query_argument_alone_with_a_huge_number_or_date(login_as, app, name):
    # One argument at a time, so an argument another one would have refused first is reached too.
    client = login_as(ff.ALL_ROLES)
    for rule in _rules(app):
        if rule.arguments or "GET" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        value = "294277-01-01" if re.search(r"date|_from|_to|since|until", name) else HUGE_IDS[0]
        response = _get(client, rule.rule, query_string={name: value})
        assert response.status_code < 500, f"GET {rule.rule}?{name}={value}: {response.status_code}"


# --- forms ----------------------------------------------------------------------------------

_FAR_BY_KIND = {"int": FAR_NUMBERS, "decimal": FAR_NUMBERS, "id": FAR_NUMBERS, "date": FAR_DATES}
_FAR_BY_KIND["datetime"] = FAR_DATETIMES


def _value(world, field):
    return field.good(world) if callable(field.good) else field.good


def _far_fields(spec) -> dict:
    return {name: f for name, f in {**spec.fields, **spec.query}.items() if f.kind in _FAR_BY_KIND}


# Only the form specs that have a number or date field (the others have nothing to send far out).
_SPECS_WITH_FAR_FIELDS = [spec for spec in ff.SPECS if _far_fields(spec)]


def test_the_sweep_covers_the_forms_with_numbers_and_dates():
    assert len(_SPECS_WITH_FAR_FIELDS) >= 20


@pytest.mark.parametrize("spec", _SPECS_WITH_FAR_FIELDS, ids=[s.name for s in _SPECS_WITH_FAR_FIELDS])
def test_every_number_and_date_field_of_every_form_refuses_far_out_values_without_a_500(app, spec, monkeypatch):
    for module, attribute, value in spec.patches:
        monkeypatch.setattr(importlib.import_module(module), attribute, value)
    far_fields = _far_fields(spec)
    world = ff.World(app)
    world.login_name = world.fuzzer_name
    world.meaning = "approved"
    for name, field in far_fields.items():
        for far in _FAR_BY_KIND[field.kind]:
            for state in spec.states:
                for move in spec.moves or ("",):
                    if spec.name == "respond.form":
                        move = ff.resolve_token(world, "VALID")
                    client = app.test_client()
                    if not spec.anonymous:
                        factories.sign_in(client, world.fuzzer_name)
                    url = spec.url(world, state, move)
                    data = {n: _value(world, f) for n, f in spec.fields.items() if f.kind != "file"}
                    query = {n: _value(world, f) for n, f in spec.query.items()}
                    (query if name in spec.query else data)[name] = far
                    db.session.commit()
                    response = client.post(url, data=data, query_string=query)
                    g.pop("_login_user", None)
                    db.session.remove()
                    sent = f"{spec.name} {url} {name}={far}"
                    assert response.status_code < 500, f"{sent}: {response.status_code}"
                    if response.status_code == 302 and spec.name.startswith("auth."):
                        world.fuzzer = factories.make_user(ff.ALL_ROLES)
                        world.login_name = world.fuzzer_name
                    for key in [k for k in world.cache if k.endswith(f"-{state}")]:
                        world.forget(key)  # a move may have gone through: make the record again
